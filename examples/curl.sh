# Report a deploy from any shell that has curl: run your deploy, then report
# how it went. The webhook URL comes from the environment variable
# DEPLOY_WEBHOOK_URL, set from your CI's secret store, never written in the
# script: anyone holding it can report deploys.
if ./deploy.sh; then status=success; else status=failure; fi # ./deploy.sh: yours
curl -fsSLo report-deploy.sh https://deploy-tracker.example.com/report-deploy.sh
# The commit and who deployed come from git and the CI's variables; run
# `sh report-deploy.sh --help` for every option.
sh report-deploy.sh --service my-service --environment production --status "$status"
# End as the deploy did, so a failed deploy still fails the job.
[ "$status" = success ]
