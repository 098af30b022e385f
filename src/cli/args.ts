import { parseArgs } from 'node:util';
import { badRequest } from '../shared/errors/app-error';
import { ENTITY_NAMES, EntityName } from '../shared/entities/entity';

export const cliOptions = {
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  entities: { type: 'string' },
  'batch-size': { type: 'string' },
  users: { type: 'string' },
  seed: { type: 'string' },
  append: { type: 'boolean', default: false },
  'dry-run': { type: 'boolean', default: false },
  'no-sync': { type: 'boolean', default: false },
  follow: { type: 'boolean', default: false },
  remote: { type: 'string' },
  full: { type: 'boolean', default: false },
  sample: { type: 'string' },
  resume: { type: 'string' },
  'delete-extras': { type: 'boolean', default: false },
  from: { type: 'string' },
  to: { type: 'string' },
  format: { type: 'string' },
  port: { type: 'string' },
  reason: { type: 'string' },
  percent: { type: 'string' },
  force: { type: 'boolean', default: false },
  yes: { type: 'boolean', default: false },
  rate: { type: 'string' },
  duration: { type: 'string' },
  'max-in-flight': { type: 'string' },
} as const;

export type CliValues = ReturnType<typeof parseCli>['values'];

export function parseCli(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: cliOptions, allowPositionals: true, strict: true });
  } catch (error) {
    throw badRequest('INVALID_ARGUMENTS', (error as Error).message);
  }
}

export function intOption(
  value: string | undefined,
  name: string,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw badRequest(
      'INVALID_ARGUMENTS',
      `--${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

export function entitiesOption(value: string | undefined): EntityName[] | undefined {
  if (value === undefined) return undefined;
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = names.filter((name) => !(ENTITY_NAMES as readonly string[]).includes(name));
  if (names.length === 0 || unknown.length > 0) {
    throw badRequest(
      'INVALID_ARGUMENTS',
      `--entities takes a list of ${ENTITY_NAMES.join(', ')}; got ${JSON.stringify(value)}`,
    );
  }
  return [...new Set(names)] as EntityName[];
}

/** A run or validation id given on the command line, checked against the id's own schema. */
export function idArgument(
  command: string,
  value: string | undefined,
  schema: { safeParse(value: unknown): { success: boolean } },
  what: string,
  example: string,
): string {
  if (!value) throw badRequest('INVALID_ARGUMENTS', `${command} needs a ${what} id`);
  if (!schema.safeParse(value).success) {
    throw badRequest(
      'INVALID_ARGUMENTS',
      `${JSON.stringify(value)} is not a ${what} id (they look like ${example})`,
    );
  }
  return value;
}
