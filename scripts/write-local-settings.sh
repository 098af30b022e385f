#!/usr/bin/env bash
# Writes local.settings.json so that `func start` (and the CLI, with the same variables) runs
# against the provisioned resources with your own Microsoft Entra sign-in: no key anywhere.
# infra/app/rbac.bicep gives the deploying user the same data roles as the app's identity.
#
# The values come from the azd environment (outputs of infra/main.bicep), which azd exports
# to hooks; outside a hook: `set -a; source <(azd env get-values); set +a` first.
#
# An existing local.settings.json is replaced only if this script wrote it (it carries
# AZD_ENV_NAME); otherwise it is left alone and the file goes to .azure/<env>/local.settings.json.
# Skipped in CI.
set -euo pipefail

if [[ -n "${CI:-}" || -n "${GITHUB_ACTIONS:-}" || -n "${TF_BUILD:-}" ]]; then
  echo "write-local-settings: CI, skipped"
  exit 0
fi
if [[ -z "${COSMOS_ENDPOINT:-}" ]]; then
  echo "write-local-settings: COSMOS_ENDPOINT is not set (run azd provision first)" >&2
  exit 1
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="$root/local.settings.json"
if [[ -f "$target" ]] && ! grep -q '"AZD_ENV_NAME"' "$target"; then
  mkdir -p "$root/.azure/${AZURE_ENV_NAME:-default}"
  target="$root/.azure/${AZURE_ENV_NAME:-default}/local.settings.json"
  echo "write-local-settings: local.settings.json is yours, left as it is; copy ${target#"$root/"} over it to use Azure"
fi

# Locally the source PostgreSQL is reached as you: a Microsoft Entra user that the server
# knows as a role (SOURCE_POSTGRES_LOCAL_USER), or your Azure CLI sign-in name.
database_user="${SOURCE_POSTGRES_LOCAL_USER:-}"
if [[ -z "$database_user" && -n "${DATABASE_HOST:-}" ]] && command -v az >/dev/null 2>&1; then
  database_user="$(az account show --query user.name --output tsv 2>/dev/null || true)"
fi
export DATABASE_USER_LOCAL="$database_user"

TARGET="$target" node - <<'NODE'
const fs = require('node:fs');
const env = process.env;
const values = {
  AZD_ENV_NAME: env.AZURE_ENV_NAME ?? '',
  FUNCTIONS_WORKER_RUNTIME: 'node',
  // Identity-based host storage: your sign-in holds the blob, queue and table data roles.
  AzureWebJobsStorage__accountName: env.AZURE_STORAGE_ACCOUNT_NAME ?? '',
  COSMOS_ENDPOINT: env.COSMOS_ENDPOINT ?? '',
  COSMOS__accountEndpoint: env.COSMOS_ENDPOINT ?? '',
  COSMOS_DATABASE: env.COSMOS_DATABASE ?? 'social_pulse',
  COSMOS_THROUGHPUT_MODE: env.COSMOS_THROUGHPUT_MODE ?? 'manual',
  SERVICEBUS__fullyQualifiedNamespace: env.SERVICEBUS_FULLY_QUALIFIED_NAMESPACE ?? '',
  MIGRATION_QUEUE: env.MIGRATION_QUEUE ?? 'migration-batches',
  VALIDATION_QUEUE: env.VALIDATION_QUEUE ?? 'validation-batches',
  SYNC_QUEUE: env.SYNC_QUEUE ?? 'sync-batches',
  MIGRATION_MAX_DELIVERY_COUNT: env.MIGRATION_MAX_DELIVERY_COUNT ?? '10',
  APP_CONFIGURATION_ENDPOINT: env.APP_CONFIGURATION_ENDPOINT ?? '',
  DATABASE_HOST: env.DATABASE_HOST ?? '',
  DATABASE_PORT: env.DATABASE_PORT ?? '5432',
  DATABASE_NAME: env.DATABASE_NAME ?? '',
  DATABASE_USER: env.DATABASE_USER_LOCAL ?? '',
  DATABASE_SSL: env.DATABASE_SSL ?? 'require',
};
fs.writeFileSync(env.TARGET, JSON.stringify({ IsEncrypted: false, Values: values }, null, 2) + '\n');
console.log(`write-local-settings: wrote ${env.TARGET}`);
NODE
