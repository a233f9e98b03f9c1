const MODEL_NAME = /^[A-Za-z0-9._:/@-]{1,128}$/;

/**
 * A model name reaches upstream URLs, logs and metric labels, so only a safe alphabet is allowed:
 * letters, digits and `._:/@-`, at most 128 characters, and no `..` path segment.
 */
export function isValidModelName(name: unknown): name is string {
  return typeof name === 'string' && MODEL_NAME.test(name) && !name.split('/').includes('..');
}
