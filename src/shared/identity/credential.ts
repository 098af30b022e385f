import { DefaultAzureCredential, TokenCredential } from '@azure/identity';
import { appConfig } from '../config/config';

let credential: TokenCredential | undefined;

/** The one credential of this process: managed identity in Azure, the developer's sign-in locally. */
export function sharedCredential(): TokenCredential {
  const clientId = appConfig().identity.managedIdentityClientId;
  credential ??= clientId
    ? new DefaultAzureCredential({ managedIdentityClientId: clientId })
    : new DefaultAzureCredential();
  return credential;
}
