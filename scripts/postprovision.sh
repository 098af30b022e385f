#!/usr/bin/env bash
# azd postprovision hook: seed the feature flags, then write local.settings.json.
# azd exports the environment's values (the outputs of infra/main.bicep) to this process.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

bash "$here/seed-feature-flags.sh"
bash "$here/write-local-settings.sh"
