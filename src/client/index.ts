/** What the package exports for applications and agents (`keywarden/client`). */
export {
  createDelegationClient,
  type DelegatedKey,
  type DelegateRequest,
  type DelegationClient,
  DelegationError,
} from './delegation-client.js';
