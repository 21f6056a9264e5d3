#!/bin/sh
# report-deploy.sh: report one deploy to a deploy tracker's Custom Deploy webhook.
#
# Needs only a POSIX shell, curl and the usual POSIX tools (awk, sed, od, date);
# git is used when present to fill in the commit. Every option can also be
# given as an environment variable (in brackets). Run with --help for usage.
#
#   curl -fsSL https://<your tracker>/report-deploy.sh | sh -s -- \
#     --service checkout --environment production   # URL in $DEPLOY_WEBHOOK_URL
#
# Exit status: 0 when the tracker accepted the deploy (or it was a duplicate;
# with --check, when it would), 1 when it refused it (the error is printed),
# 2 on bad usage, 3 when it could not be reached after every retry.

set -u

usage() {
	cat <<'EOF'
Usage: report-deploy.sh --url URL --service NAME [options]

Required:
  --url URL               webhook URL of the integration [DEPLOY_WEBHOOK_URL];
                          prefer the variable: arguments show in `ps`
  --service NAME          service alias, as the tracker knows it [DEPLOY_SERVICE]

Deploy:
  --environment NAME      e.g. production [DEPLOY_ENVIRONMENT]
  --description TEXT      default: "Deployed <service> <short sha>" [DEPLOY_DESCRIPTION]
  --status STATUS         success, failure, in_progress… [DEPLOY_STATUS]
  --deployed-at TIME      ISO 8601; default: now [DEPLOY_DEPLOYED_AT]
  --deploy-number N       default: the tracker numbers deploys [DEPLOY_NUMBER]
  --deploy-url URL        link to the run [DEPLOY_URL]; default: the CI run's page
  --deployer-email EMAIL  default: who started the CI run, else the commit's
  --deployer-name NAME    author [DEPLOY_DEPLOYER_EMAIL, DEPLOY_DEPLOYER_NAME]

Deduplication:
  --dedup-id ID           [DEPLOY_DEDUP_ID]. Default: made from the CI run's ids,
                          so a retried job reports the same deploy only once;
                          outside a known CI, a random id per invocation.
  --new-attempt           count a re-run attempt as a new deploy (adds the
                          attempt to the generated id) [DEPLOY_NEW_ATTEMPT=1]

Commit (default: from git in the current directory, when available):
  --sha SHA --branch NAME --message TEXT [DEPLOY_COMMIT_SHA, …_BRANCH, …_MESSAGE]
  --no-git                do not read git [DEPLOY_NO_GIT=1]

Delivery:
  --retries N             retries on network errors, 408, 429 and 5xx (default 5) [DEPLOY_RETRIES]
  --timeout SECONDS       per attempt (default 20) [DEPLOY_TIMEOUT]
  --dry-run               print the JSON that would be sent, send nothing
  --check                 send it as a dry run: the tracker checks the URL and
                          the deploy and answers what it would do, recording
                          nothing (no deploy, no number, no suggestion)
  -h, --help              this text

Options take their value as the next argument or after "=" (--service=api).
EOF
}

fail() {
	printf 'report-deploy: %s\n' "$1" >&2
	exit "${2:-2}"
}

nl='
'

# A JSON string: quotes, backslashes and control characters escaped, other
# bytes (UTF-8 included) passed through. The value gets one newline more than
# it has, so awk sees every line terminated and the last record is ours.
json_string() {
	printf '%s\n' "$1" | LC_ALL=C awk '
		BEGIN {
			ORS = ""
			for (i = 1; i < 32; i++) escaped[sprintf("%c", i)] = sprintf("\\u%04x", i)
			escaped["\t"] = "\\t"; escaped["\r"] = "\\r"
			escaped["\\"] = "\\\\"; escaped["\""] = "\\\""
			printf "\""
		}
		{
			if (NR > 1) printf "\\n"
			n = length($0)
			for (i = 1; i <= n; i++) {
				c = substr($0, i, 1)
				printf "%s", (c in escaped) ? escaped[c] : c
			}
		}
		END { printf "\"" }'
}

# `"name": value` for each name/value pair with a value, comma-separated.
fields() {
	first=1
	while [ $# -ge 2 ]; do
		if [ -n "$2" ]; then
			[ -n "$first" ] || printf ','
			printf '"%s":%s' "$1" "$(json_string "$2")"
			first=
		fi
		shift 2
	done
}

# 32 hex digits; /dev/urandom is not POSIX, so awk's generator stands in.
random_hex() {
	od -An -N16 -tx1 /dev/urandom 2>/dev/null | tr -d ' \n' | grep . ||
		awk -v seed="$$" 'BEGIN { srand(); srand(srand() + seed); for (i = 0; i < 32; i++) printf "%x", int(rand() * 16) }'
}

# Seconds to wait before retry number $1: exponential from 1 s, capped at 60 s,
# with full jitter so a fleet of jobs does not retry in step.
backoff() {
	awk -v n="$1" -v seed="$$" 'BEGIN {
		srand(); srand(srand() + seed); cap = 2 ^ (n - 1); if (cap > 60) cap = 60
		printf "%d", 1 + rand() * cap
	}'
}

# A curl config file's quoted string: the URL stays out of the process list,
# where anyone on a shared runner could read the secret.
curl_quoted() {
	quoted=$(printf '%s' "$1" | sed 's/[\\"]/\\&/g')
	printf '"%s"' "$quoted"
}

main() {
	url=${DEPLOY_WEBHOOK_URL:-}
	service=${DEPLOY_SERVICE:-}
	environment=${DEPLOY_ENVIRONMENT:-}
	description=${DEPLOY_DESCRIPTION:-}
	status=${DEPLOY_STATUS:-}
	deployed_at=${DEPLOY_DEPLOYED_AT:-}
	deploy_number=${DEPLOY_NUMBER:-}
	deploy_url=${DEPLOY_URL:-}
	deployer_email=${DEPLOY_DEPLOYER_EMAIL:-}
	deployer_name=${DEPLOY_DEPLOYER_NAME:-}
	dedup_id=${DEPLOY_DEDUP_ID:-}
	new_attempt=${DEPLOY_NEW_ATTEMPT:-}
	sha=${DEPLOY_COMMIT_SHA:-}
	branch=${DEPLOY_COMMIT_BRANCH:-}
	message=${DEPLOY_COMMIT_MESSAGE:-}
	use_git=1
	[ -z "${DEPLOY_NO_GIT:-}" ] || use_git=
	retries=${DEPLOY_RETRIES:-5}
	timeout=${DEPLOY_TIMEOUT:-20}
	dry_run=
	check=

	# "false", "0" and "" all mean no: CI inputs are strings.
	case $new_attempt in '' | 0 | false | no) new_attempt= ;; esac
	case $use_git in 0 | false) use_git= ;; esac

	while [ $# -gt 0 ]; do
		case $1 in
		-h | --help)
			usage
			exit 0
			;;
		--dry-run) dry_run=1 ;;
		--check) check=1 ;;
		--no-git) use_git= ;;
		--new-attempt) new_attempt=1 ;;
		--*=*)
			option=${1%%=*} value=${1#*=}
			shift
			set -- "$option" "$value" "$@"
			continue
			;;
		--url | --service | --environment | --description | --status | --deployed-at | --deploy-number | --deploy-url | \
			--deployer-email | --deployer-name | --dedup-id | --sha | --branch | --message | --retries | --timeout)
			[ $# -ge 2 ] || fail "$1 needs a value"
			value=$2
			case $1 in
			--url) url=$value ;;
			--service) service=$value ;;
			--environment) environment=$value ;;
			--description) description=$value ;;
			--status) status=$value ;;
			--deployed-at) deployed_at=$value ;;
			--deploy-number) deploy_number=$value ;;
			--deploy-url) deploy_url=$value ;;
			--deployer-email) deployer_email=$value ;;
			--deployer-name) deployer_name=$value ;;
			--dedup-id) dedup_id=$value ;;
			--sha) sha=$value ;;
			--branch) branch=$value ;;
			--message) message=$value ;;
			--retries) retries=$value ;;
			--timeout) timeout=$value ;;
			esac
			shift
			;;
		*) fail "unknown option '$1' (see --help)" ;;
		esac
		shift
	done

	[ -n "$url" ] || fail "--url (or DEPLOY_WEBHOOK_URL) is required"
	case $url in
	http://* | https://*) ;;
	*) fail "the webhook URL must start with https:// (or http://)" ;;
	esac
	[ -n "$service" ] || fail "--service (or DEPLOY_SERVICE) is required"
	[ -z "$dry_run" ] || [ -z "$check" ] || fail "--dry-run sends nothing and --check sends a dry run: choose one"
	# The tracker's dry run: same checks, nothing recorded (see its README, "Dry run").
	if [ -n "$check" ]; then
		case $url in
		*\?*) url="$url&dry_run=1" ;;
		*) url="$url?dry_run=1" ;;
		esac
	fi
	case $retries in '' | *[!0-9]*) fail "--retries must be a whole number" ;; esac
	case $timeout in '' | 0 | *[!0-9]*) fail "--timeout must be a whole number of seconds, at least 1" ;; esac
	command -v curl >/dev/null 2>&1 || [ -n "$dry_run" ] || fail "curl is required"

	# The commit, from git when we are in a work tree (CI checkouts are).
	author_name='' author_email='' authoring_date='' committer_name='' committer_email='' commit_date=''
	if [ -n "$use_git" ] && command -v git >/dev/null 2>&1 && git rev-parse --git-dir >/dev/null 2>&1; then
		# --verify: in a repository without commits, plain rev-parse prints "HEAD".
		[ -n "$sha" ] || sha=$(git rev-parse --verify -q HEAD 2>/dev/null)
		if [ -n "$sha" ] && git cat-file -e "$sha^{commit}" 2>/dev/null; then
			if [ -z "$message" ]; then
				# Exactly as committed, less git's final newline: $(…) would strip
				# every trailing newline, so a dot guards them.
				message=$(git log -1 --format='%B.' "$sha")
				message=${message%.}
				message=${message%"$nl"}
			fi
			author_name=$(git log -1 --format=%an "$sha")
			author_email=$(git log -1 --format=%ae "$sha")
			authoring_date=$(git log -1 --format=%aI "$sha")
			committer_name=$(git log -1 --format=%cn "$sha")
			committer_email=$(git log -1 --format=%ce "$sha")
			commit_date=$(git log -1 --format=%cI "$sha")
		fi
		if [ -z "$branch" ]; then
			branch=$(git rev-parse --abbrev-ref HEAD 2>/dev/null)
			[ "$branch" != HEAD ] || branch= # a detached checkout: the CI's variables below may know
		fi
	fi
	# What the CI knows, for what git could not tell.
	: "${branch:=${GITHUB_HEAD_REF:-${GITHUB_REF_NAME:-${CI_COMMIT_REF_NAME:-${CIRCLE_BRANCH:-${BRANCH_NAME:-${GIT_BRANCH:-}}}}}}}"
	: "${sha:=${GITHUB_SHA:-${CI_COMMIT_SHA:-${CIRCLE_SHA1:-${GIT_COMMIT:-}}}}}"

	# Who deployed: given, else whoever started the CI run, else the commit's
	# author. Name and e-mail come as a pair from one source, so a deploy is
	# never credited to one person's name with another's address.
	if [ -z "$deployer_email$deployer_name" ]; then
		if [ -n "${GITLAB_USER_EMAIL:-}${GITLAB_USER_NAME:-}" ]; then
			deployer_email=${GITLAB_USER_EMAIL:-} deployer_name=${GITLAB_USER_NAME:-}
		elif [ -n "${GITHUB_ACTOR:-}" ]; then
			# GitHub's no-reply address, as its web UI commits with.
			deployer_email="${GITHUB_ACTOR_ID:+$GITHUB_ACTOR_ID+}$GITHUB_ACTOR@users.noreply.github.com"
			deployer_name=$GITHUB_ACTOR
		elif [ -n "${CIRCLE_USERNAME:-}" ]; then
			deployer_name=$CIRCLE_USERNAME # CircleCI says who, never their address
		elif [ -n "${BUILD_USER_EMAIL:-}${BUILD_USER:-}" ]; then
			deployer_email=${BUILD_USER_EMAIL:-} deployer_name=${BUILD_USER:-} # Jenkins' build-user-vars plugin
		elif [ -n "$author_email$author_name" ]; then
			deployer_email=$author_email deployer_name=$author_name
		elif [ -n "$use_git" ] && command -v git >/dev/null 2>&1; then
			# Run by hand outside a repository: whoever this machine's git says we are.
			deployer_email=$(git config user.email 2>/dev/null) deployer_name=$(git config user.name 2>/dev/null)
		fi
	fi
	[ -n "$deployer_email$deployer_name" ] || fail "no deployer: pass --deployer-email (git and the CI did not say who)"

	if [ -z "$deploy_url" ] && [ -n "${GITHUB_RUN_ID:-}" ]; then
		deploy_url="${GITHUB_SERVER_URL:-https://github.com}/${GITHUB_REPOSITORY:-}/actions/runs/$GITHUB_RUN_ID"
	fi
	: "${deploy_url:=${CI_JOB_URL:-${CIRCLE_BUILD_URL:-${BUILD_URL:-}}}}"
	[ -n "$deployed_at" ] || deployed_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	[ -n "$description" ] || description="Deployed $service${sha:+ $(printf '%s' "$sha" | cut -c1-8)}"

	# A retried job is the same deploy: the id comes from the run, not the
	# attempt (unless --new-attempt), and names the service and environment, so
	# one job reporting several deploys keeps them apart.
	if [ -z "$dedup_id" ]; then
		run='' attempt=''
		if [ -n "${GITHUB_RUN_ID:-}" ]; then
			run="github:${GITHUB_REPOSITORY:-}:$GITHUB_RUN_ID:${GITHUB_JOB:-}"
			attempt=${GITHUB_RUN_ATTEMPT:-1}
		elif [ -n "${CI_PIPELINE_ID:-}" ]; then
			run="gitlab:${CI_PROJECT_ID:-}:$CI_PIPELINE_ID:${CI_JOB_NAME:-}"
			attempt=${CI_JOB_ID:-1} # a retried GitLab job gets a new job id
		elif [ -n "${CIRCLE_WORKFLOW_ID:-}" ]; then
			run="circleci:$CIRCLE_WORKFLOW_ID:${CIRCLE_JOB:-}"
			attempt=${CIRCLE_BUILD_NUM:-1}
		elif [ -n "${BUILD_TAG:-}" ]; then
			run="jenkins:$BUILD_TAG" # a Jenkins re-run is a new build, with a new tag
		fi
		if [ -n "$run" ]; then
			dedup_id="$run:$service:$environment${new_attempt:+${attempt:+:$attempt}}"
			# The tracker keeps 255 characters: a long one keeps its start and a checksum of the whole.
			if [ "${#dedup_id}" -gt 255 ]; then
				dedup_id="$(printf '%s' "$dedup_id" | cut -c1-200):$(printf '%s' "$dedup_id" | cksum | cut -d' ' -f1)"
			fi
		else
			# Outside a CI run nothing identifies the deploy, but this one
			# invocation's retries must still count once.
			dedup_id="report-deploy:$(random_hex)"
		fi
	fi

	commit=$(fields sha "$sha" message "$message" branch "$branch" date "$commit_date" \
		committer_name "$committer_name" committer_email "$committer_email" \
		author_name "$author_name" author_email "$author_email" authoring_date "$authoring_date")
	payload="{$(fields service "$service" description "$description" deployed_at "$deployed_at" \
		environment "$environment" status "$status" deploy_number "$deploy_number" deploy_url "$deploy_url" \
		dedup_id "$dedup_id"),\"deployer\":{$(fields email "$deployer_email" name "$deployer_name")}${commit:+,\"commit\":{$commit}}}"

	if [ -n "$dry_run" ]; then
		printf '%s\n' "$payload"
		exit 0
	fi

	work=$(mktemp -d 2>/dev/null || mktemp -d -t report-deploy) || fail "cannot create a temporary directory" 3
	trap 'rm -rf "$work"' EXIT
	# Without these, a cancelled job would leave the directory behind: the
	# EXIT trap does not run when a signal ends the shell.
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
	printf '%s' "$payload" >"$work/payload"
	(
		umask 077
		printf 'url = %s\n' "$(curl_quoted "$url")" >"$work/config"
	)

	attempt=0
	while :; do
		attempt=$((attempt + 1))
		rm -f "$work/headers" "$work/body"
		code=$(curl -sS -X POST --max-time "$timeout" -K "$work/config" -H 'Content-Type: application/json' \
			--data-binary @"$work/payload" -D "$work/headers" -o "$work/body" -w '%{http_code}' \
			</dev/null 2>"$work/error")
		curl_status=$?
		body=$(cat "$work/body" 2>/dev/null)
		wait=
		case $curl_status:$code in
		0:2??)
			printf 'report-deploy: %s %s\n' "$code" "$body"
			exit 0
			;;
		0:408 | 0:429 | 0:5??)
			problem="HTTP $code $body"
			# The server's own wait, when it names one in seconds (at most a minute).
			wait=$(sed -n 's/^[Rr]etry-[Aa]fter: *\([0-9][0-9]*\).*/\1/p' "$work/headers" | tail -n 1)
			[ -z "$wait" ] || [ "$wait" -le 60 ] || wait=60
			;;
		0:3??)
			# Not followed: curl would turn the POST into a GET, or resend it to any host.
			location=$(sed -n 's/^[Ll]ocation: *//p' "$work/headers" | tr -d '\r' | tail -n 1)
			fail "the tracker answered HTTP $code, a redirect${location:+ to $location}: report to the URL it names" 1
			;;
		0:*)
			fail "the tracker refused the deploy: HTTP $code $body" 1
			;;
		*)
			problem=$(cat "$work/error")
			;;
		esac
		if [ "$attempt" -gt "$retries" ]; then
			fail "gave up after $attempt attempts: $problem" 3
		fi
		[ -n "$wait" ] || wait=$(backoff "$attempt")
		printf 'report-deploy: attempt %d failed (%s); retrying in %ss\n' "$attempt" "$problem" "$wait" >&2
		sleep "$wait"
	done
}

# Everything runs from here, the script's last line: piped from curl, a
# truncated download defines a function that never runs instead of running half.
main "$@"
