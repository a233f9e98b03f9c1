import { GatewayError } from '../domain/errors.js';
import type { Limits, ProjectRecord, RotationPolicy } from '../domain/records.js';
import type { ChangeBus } from '../events/change-bus.js';
import type { Clock } from '../lib/clock.js';
import { newId } from '../lib/ids.js';
import type { Store } from '../store/store.js';
import { type Actor, assertCanWrite, assertGatewayAdmin, canSeeProject } from './actor.js';
import { checkLimits, checkName } from './field-rules.js';
import type { LimitUsageOf } from './keys-admin.js';
import { checkRotationPolicy } from './rotation-policy.js';
import { projectView } from './views.js';

export interface ProjectsAdminDeps {
  store: Store;
  clock: Clock;
  changes: ChangeBus;
  limitUsage: LimitUsageOf;
}

export function createProjectsAdmin({ store, clock, changes, limitUsage }: ProjectsAdminDeps) {
  /** A project the actor may see; others answer 404 exactly like missing ones. */
  const visible = async (actor: Actor, idOrName: string): Promise<ProjectRecord> => {
    const project = await store.findProject(idOrName);
    if (!project || !canSeeProject(actor, project.id)) {
      throw new GatewayError('not_found', `no project ${JSON.stringify(idOrName)}`);
    }
    return project;
  };

  return {
    visible,

    async create(
      actor: Actor,
      input: { name: string; limits?: Limits; rotation_policy?: RotationPolicy | null },
    ) {
      assertGatewayAdmin(actor);
      checkName('name', input.name);
      checkLimits('limits', input.limits);
      checkRotationPolicy('rotation_policy', input.rotation_policy);
      if (await store.findProject(input.name))
        throw new GatewayError('conflict', `project ${input.name} already exists`);
      const project: ProjectRecord = {
        id: newId('prj'),
        name: input.name,
        limits: input.limits ?? {},
        createdAt: clock.now(),
        rotationPolicy: input.rotation_policy ?? null,
      };
      await store.insertProject(project);
      return projectView(project);
    },

    async list(actor: Actor) {
      return (await store.listProjects()).filter((p) => canSeeProject(actor, p.id)).map(projectView);
    },

    async get(actor: Actor, idOrName: string) {
      const project = await visible(actor, idOrName);
      const usage = await limitUsage({
        scope: 'project',
        id: project.id,
        projectId: project.id,
        limits: project.limits,
      });
      return { ...projectView(project), limits_usage: usage };
    },

    async update(
      actor: Actor,
      idOrName: string,
      patch: { limits?: Limits; rotation_policy?: RotationPolicy | null },
    ) {
      assertCanWrite(actor);
      const project = await visible(actor, idOrName);
      checkLimits('limits', patch.limits);
      checkRotationPolicy('rotation_policy', patch.rotation_policy);
      const updated = await store.updateProject(project.id, {
        ...(patch.limits !== undefined && { limits: patch.limits }),
        ...(patch.rotation_policy !== undefined && { rotationPolicy: patch.rotation_policy }),
      });
      await changes.publish({ kind: 'project', projectId: project.id });
      return projectView(updated ?? project);
    },
  };
}

export type ProjectsAdmin = ReturnType<typeof createProjectsAdmin>;
