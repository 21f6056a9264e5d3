# Report a deploy from any shell that has curl, right after the deploy. The
# webhook URL comes from the environment variable DEPLOY_WEBHOOK_URL, set from
# your CI's secret store, never written in the script: anyone holding it can
# report deploys.
curl -fsSLo report-deploy.sh https://deploy-tracker.example.com/report-deploy.sh
# The commit and who deployed come from git and the CI's variables; run
# `sh report-deploy.sh --help` for every option.
sh report-deploy.sh --service my-service --environment production --status success
