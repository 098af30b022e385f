#!/usr/bin/env bash
# Seeds the feature flags of DESIGN §6 in App Configuration, all disabled, plus the key
# Cutover:DualWriteStrategy = PostgresFirst. Signs in with Microsoft Entra (`--auth-mode login`):
# the store has local (access key) auth off, and infra/app/rbac.bicep grants the deploying
# principal App Configuration Data Owner.
#
# A flag or key that already exists is left exactly as it is: re-running `azd provision` in the
# middle of a cutover must never turn a flag off or reset a rollout percentage.
#
# Usage: APP_CONFIGURATION_ENDPOINT=https://<store>.azconfig.io scripts/seed-feature-flags.sh
set -euo pipefail

endpoint="${APP_CONFIGURATION_ENDPOINT:-}"
if [[ -z "$endpoint" ]]; then
  echo "seed-feature-flags: APP_CONFIGURATION_ENDPOINT is not set (run azd provision first)" >&2
  exit 1
fi
if ! command -v az >/dev/null 2>&1; then
  echo "seed-feature-flags: the Azure CLI (az) is needed; install it, run 'az login', then 'azd hooks run postprovision'" >&2
  exit 1
fi

FLAG_CONTENT_TYPE='application/vnd.microsoft.appconfig.ff+json;charset=utf-8'
FLAG_PREFIX='.appconfig.featureflag/'
# A role assignment made a minute ago can take a few minutes to reach the data plane.
ATTEMPTS="${SEED_ATTEMPTS:-10}"
DELAY_SECONDS="${SEED_DELAY_SECONDS:-30}"

# Runs "$@" until it succeeds, ATTEMPTS times at most; prints its output.
retry() {
  local attempt output
  for ((attempt = 1; attempt <= ATTEMPTS; attempt++)); do
    if output="$("$@" 2>&1)"; then
      printf '%s' "$output"
      return 0
    fi
    echo "seed-feature-flags: attempt $attempt/$ATTEMPTS failed (role assignments may still be propagating): ${output##*$'\n'}" >&2
    if ((attempt < ATTEMPTS)); then sleep "$DELAY_SECONDS"; fi
  done
  echo "seed-feature-flags: giving up; check that you are signed in ('az login') and hold App Configuration Data Owner on the store" >&2
  return 1
}

# True when the key exists (any label); an authorization failure is retried, not taken as "missing".
key_exists() {
  local count
  count="$(retry az appconfig kv list --endpoint "$endpoint" --auth-mode login --key "$1" \
    --query 'length(@)' --output tsv --only-show-errors)" || exit 1
  [[ "${count:-0}" != "0" ]]
}

# seed_flag <name> <description> [client filters JSON]
seed_flag() {
  local name="$1" description="$2" filters="${3:-[]}"
  if key_exists "$FLAG_PREFIX$name"; then
    echo "seed-feature-flags: $name exists, left as it is"
    return 0
  fi
  local value
  value="$(printf '{"id":"%s","description":"%s","enabled":false,"conditions":{"client_filters":%s}}' \
    "$name" "$description" "$filters")"
  retry az appconfig kv set --endpoint "$endpoint" --auth-mode login --yes --only-show-errors \
    --key "$FLAG_PREFIX$name" --content-type "$FLAG_CONTENT_TYPE" --value "$value" --output none >/dev/null
  echo "seed-feature-flags: $name created (disabled)"
}

# seed_key <key> <value>
seed_key() {
  if key_exists "$1"; then
    echo "seed-feature-flags: $1 exists, left as it is"
    return 0
  fi
  retry az appconfig kv set --endpoint "$endpoint" --auth-mode login --yes --only-show-errors \
    --key "$1" --value "$2" --output none >/dev/null
  echo "seed-feature-flags: $1 = $2 created"
}

seed_flag 'Migration.Enabled' 'Workers take batches; off pauses the migration (messages are deferred, never lost)'
seed_flag 'Cutover.DualWrite' 'The app writes to both stores (strategy: Cutover:DualWriteStrategy)'
seed_flag 'Cutover.CosmosReads' 'Reads served by Cosmos DB for the targeted percentage of users (sticky per user)' \
  '[{"name":"Microsoft.Targeting","parameters":{"Audience":{"Users":[],"Groups":[],"DefaultRolloutPercentage":0}}}]'
seed_flag 'Cutover.CosmosWrites' 'Cosmos DB is the primary store for writes'
seed_key 'Cutover:DualWriteStrategy' 'PostgresFirst'
