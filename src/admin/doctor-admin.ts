import {
  adminTokenFindings,
  type Finding,
  type KeyUse,
  keyFindings,
  postureScore,
  UNUSED_AFTER_MS,
} from '../domain/posture.js';
import { effectiveKeyStatus, type KeyRecord } from '../domain/records.js';
import type { UsageGroup } from '../domain/usage.js';
import type { Clock } from '../lib/clock.js';
import type { Store } from '../store/store.js';
import { type Actor, canSeeProject } from './actor.js';
import type { ProjectsAdmin } from './projects-admin.js';

export interface DoctorDeps {
  store: Store;
  clock: Clock;
  projects: ProjectsAdmin;
  /** Checks on the machine (config file, master key file); gateway-wide. */
  hostChecks: () => Finding[];
}

/** `GET /admin/v1/doctor`: the security posture as a score and a list of fixes. */
export function createDoctorAdmin({ store, clock, projects, hostChecks }: DoctorDeps) {
  const usedBy = async (key: KeyRecord, since: number): Promise<KeyUse> => {
    const values = async (group: UsageGroup) =>
      (await store.queryUsage({ keyId: key.id, from: since }, group))
        .map((row) => row.group)
        .filter((g): g is string => typeof g === 'string');
    const [models, endpoints, providers] = await Promise.all([
      values('model'),
      values('endpoint'),
      values('provider'),
    ]);
    return { models, endpoints, providers };
  };

  return {
    async report(actor: Actor, input: { project?: string }) {
      const now = clock.now();
      const projectId = input.project ? (await projects.visible(actor, input.project)).id : undefined;
      const keys = (await store.listKeys(projectId ? { projectId } : {})).filter(
        (k) => canSeeProject(actor, k.projectId) && effectiveKeyStatus(k, now) === 'active',
      );
      const findings: Finding[] = [];
      for (const key of keys)
        findings.push(...keyFindings(key, await usedBy(key, now - UNUSED_AFTER_MS), now));
      // Gateway-wide settings are reported only to tokens that may see the whole gateway.
      const gatewayWide = actor.role !== 'project-admin' && projectId === undefined;
      if (gatewayWide) {
        findings.push(...adminTokenFindings(await store.listAdminTokens()));
        findings.push(...hostChecks());
      }
      return {
        score: postureScore(findings),
        checked_at: new Date(now).toISOString(),
        scope: projectId ? { project: input.project } : gatewayWide ? 'gateway' : 'own projects',
        keys_checked: keys.length,
        findings,
      };
    },
  };
}

export type DoctorAdmin = ReturnType<typeof createDoctorAdmin>;
