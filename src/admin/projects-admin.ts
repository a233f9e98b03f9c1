import { GatewayError } from '../domain/errors.js';
import type { Limits, ProjectRecord } from '../domain/records.js';
import type { ChangeBus } from '../events/change-bus.js';
import type { Clock } from '../lib/clock.js';
import { newId } from '../lib/ids.js';
import type { Store } from '../store/store.js';
import { type Actor, assertCanWrite, assertGatewayAdmin, canSeeProject } from './actor.js';
import { checkLimits, checkName } from './field-rules.js';
import type { LimitUsageOf } from './keys-admin.js';
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

    async create(actor: Actor, input: { name: string; limits?: Limits }) {
      assertGatewayAdmin(actor);
      checkName('name', input.name);
      checkLimits('limits', input.limits);
      if (await store.findProject(input.name))
        throw new GatewayError('conflict', `project ${input.name} already exists`);
      const project: ProjectRecord = {
        id: newId('prj'),
        name: input.name,
        limits: input.limits ?? {},
        createdAt: clock.now(),
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

    async update(actor: Actor, idOrName: string, patch: { limits?: Limits }) {
      assertCanWrite(actor);
      const project = await visible(actor, idOrName);
      checkLimits('limits', patch.limits);
      const updated = await store.updateProject(project.id, patch);
      await changes.publish({ kind: 'project', projectId: project.id });
      return projectView(updated ?? project);
    },
  };
}

export type ProjectsAdmin = ReturnType<typeof createProjectsAdmin>;
