import type { AdminTokensAdmin } from './admin-tokens-admin.js';
import type { AlertsAdmin } from './alerts.js';
import type { AuditAdmin } from './audit-admin.js';
import type { DoctorAdmin } from './doctor-admin.js';
import type { KeysAdmin } from './keys-admin.js';
import type { LeaksAdmin } from './leaks-admin.js';
import type { ProjectsAdmin } from './projects-admin.js';
import type { ProvidersAdmin } from './providers-admin.js';
import type { UsageAdmin } from './usage-admin.js';

/** The control-plane use cases the admin API, CLI and dashboard are shells over. */
export interface AdminServices {
  providers: ProvidersAdmin;
  projects: ProjectsAdmin;
  keys: KeysAdmin;
  usage: UsageAdmin;
  adminTokens: AdminTokensAdmin;
  leaks: LeaksAdmin;
  alerts: AlertsAdmin;
  audit: AuditAdmin;
  doctor: DoctorAdmin;
}
