# Report a deploy from any shell that has curl, right after the deploy. In a
# CI, keep the webhook URL in a secret named DEPLOY_WEBHOOK_URL rather than in
# the script: anyone holding it can report deploys.
export DEPLOY_WEBHOOK_URL='https://deploy-tracker.example.com/integrations/deploy/YOUR-INTEGRATION-ID'
curl -fsSLo report-deploy.sh https://deploy-tracker.example.com/report-deploy.sh
# The commit and who deployed come from git and the CI's variables; run
# `sh report-deploy.sh --help` for every option.
sh report-deploy.sh --service my-service --environment production --status success
