import { GatewayError, invalidField } from '../domain/errors.js';
import {
  NANO_PER_USD,
  USAGE_GROUPS,
  type UsageFilter,
  type UsageGroup,
  type UsageRow,
} from '../domain/usage.js';
import type { Store } from '../store/store.js';
import { type Actor, canSeeProject } from './actor.js';
import { parseTimestamp } from './field-rules.js';
import type { ProjectsAdmin } from './projects-admin.js';

export interface UsageQueryInput {
  key?: string;
  project?: string;
  model?: string;
  provider?: string;
  /** Only the keys this key delegated (id, or name with `project`). */
  parent?: string;
  from?: string;
  to?: string;
  group_by?: string;
}

/** Usage reports: totals and groups over the usage ledger, with key and project filters by id or name. */
export function createUsageAdmin({ store, projects }: { store: Store; projects: ProjectsAdmin }) {
  /** `key=` takes a key id, or a key name when the project is known. */
  const resolveKey = async (actor: Actor, key: string, projectId: string | undefined) => {
    const byId = await store.getKey(key);
    const found = byId ?? (projectId ? await store.findKeyByName(projectId, key) : undefined);
    if (!found || !canSeeProject(actor, found.projectId))
      throw invalidField('key', `no key ${JSON.stringify(key)}`);
    return found;
  };

  return {
    async query(actor: Actor, input: UsageQueryInput) {
      const groupBy = (input.group_by ?? null) as UsageGroup | null;
      if (groupBy !== null && !USAGE_GROUPS.includes(groupBy)) {
        throw invalidField('group_by', `must be one of ${USAGE_GROUPS.join(', ')}`);
      }
      const filter: UsageFilter = {};
      if (input.project !== undefined) {
        filter.projectId = (
          await projects.visible(actor, input.project).catch(() => {
            throw invalidField('project', `no project ${JSON.stringify(input.project)}`);
          })
        ).id;
      }
      if (input.key !== undefined) filter.keyId = (await resolveKey(actor, input.key, filter.projectId)).id;
      if (input.provider !== undefined) {
        const provider = await store.findProvider(input.provider);
        if (!provider) throw invalidField('provider', `no provider ${JSON.stringify(input.provider)}`);
        filter.providerId = provider.id;
      }
      if (input.model !== undefined) filter.model = input.model;
      if (input.parent !== undefined) {
        filter.parentKeyId = (
          await resolveKey(actor, input.parent, filter.projectId).catch(() => {
            throw invalidField('parent', `no key ${JSON.stringify(input.parent)}`);
          })
        ).id;
      }
      const from = parseTimestamp('from', input.from);
      const to = parseTimestamp('to', input.to);
      if (typeof from === 'number') filter.from = from;
      if (typeof to === 'number') filter.to = to;
      if (filter.from !== undefined && filter.to !== undefined && filter.from >= filter.to) {
        throw invalidField('to', 'must be after from');
      }
      if (actor.role === 'project-admin' && filter.projectId === undefined && filter.keyId === undefined) {
        if (actor.projectIds.length !== 1) {
          throw new GatewayError('validation_error', 'project: name one of your projects', {
            field: 'project',
          });
        }
        filter.projectId = actor.projectIds[0];
      }

      const [rows, totals] = await Promise.all([
        groupBy ? store.queryUsage(filter, groupBy) : Promise.resolve([]),
        store.queryUsage(filter, null),
      ]);
      const names =
        groupBy === 'key' || groupBy === 'project' || groupBy === 'parent'
          ? await nameLookup(store, groupBy)
          : undefined;
      return {
        data: rows.map((row) => ({ ...groupFields(groupBy, row, names), ...amounts(row) })),
        totals: amounts(totals[0]),
      };
    },
  };
}

export type UsageAdmin = ReturnType<typeof createUsageAdmin>;

function amounts(row: UsageRow | undefined) {
  if (!row) {
    return {
      requests: 0,
      input_tokens: 0,
      output_tokens: 0,
      cached_tokens: 0,
      cost_usd: 0,
      unpriced_requests: 0,
    };
  }
  return {
    requests: row.requests,
    input_tokens: row.inputTokens,
    output_tokens: row.outputTokens,
    cached_tokens: row.cachedTokens,
    // null only when nothing in the group had a price.
    cost_usd:
      row.unpricedRequests === row.requests && row.requests > 0 ? null : row.costNanoUsd / NANO_PER_USD,
    unpriced_requests: row.unpricedRequests,
  };
}

function groupFields(groupBy: UsageGroup | null, row: UsageRow, names: Map<string, string> | undefined) {
  if (groupBy === null) return {};
  if (groupBy === 'hour' || groupBy === 'day')
    return { [groupBy]: new Date(Number(row.group)).toISOString() };
  const value = row.group === null ? null : String(row.group);
  if (names)
    return { [groupBy]: value, [`${groupBy}_name`]: value === null ? null : (names.get(value) ?? null) };
  return { [groupBy]: value };
}

async function nameLookup(store: Store, groupBy: 'key' | 'project' | 'parent'): Promise<Map<string, string>> {
  const records = groupBy === 'project' ? await store.listProjects() : await store.listKeys({});
  return new Map(records.map((r) => [r.id, r.name]));
}
