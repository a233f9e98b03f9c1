import type { ProjectRecord } from '../../domain/records.js';
import type { ChangeBus } from '../../events/change-bus.js';
import type { Store } from '../../store/store.js';

export interface ProjectDirectory {
  byId(id: string): Promise<ProjectRecord | undefined>;
}

/** Projects (for their limits) cached by id and dropped when the admin API changes one. */
export function createProjectDirectory({
  store,
  changes,
}: {
  store: Store;
  changes: ChangeBus;
}): ProjectDirectory {
  const cache = new Map<string, ProjectRecord>();
  changes.subscribe((change) => {
    if (change.kind === 'project') cache.delete(change.projectId);
    if (change.kind === 'all') cache.clear();
  });
  return {
    async byId(id) {
      const hit = cache.get(id);
      if (hit) return hit;
      const project = await store.findProject(id);
      if (project) cache.set(id, project);
      return project;
    },
  };
}
