# Send one deploy by hand, to see it arrive before any pipeline reports one:
# DEPLOY_WEBHOOK_URL holds the URL of one of your integrations.
curl -X POST "$DEPLOY_WEBHOOK_URL" \
  -H 'Content-Type: application/json' \
  -d '{
  "service": "my-service",
  "environment": "production",
  "description": "First deploy",
  "deployed_at": "'"$(date -u +%Y-%m-%dT%H:%M:%SZ)"'",
  "deployer": { "email": "you@example.com" }
}'
