import {JOB_KINDS} from './types.js'

const NAME = '^[a-z][a-z0-9-]{0,62}$'
const ENV_NAME = '^[A-Za-z_][A-Za-z0-9_]*$'
const names = {type: 'array', items: {type: 'string', pattern: NAME}, uniqueItems: true}
const routing = {type: 'object', additionalProperties: false, properties: {failures: names, summaries: names}}
const hours = {type: 'number', exclusiveMinimum: 0}
const count = {type: 'integer', minimum: 0, maximum: 9999}
const perHost = {type: 'integer', minimum: 1, maximum: 16}
/** What newReleaseId (src/lib/release/record.ts) writes: rel-<UTC time>-<4 hex>. */
export const RELEASE_ID = '^rel-\\d{8}T\\d{6}-[0-9a-f]{4}$'

/** The options each kind accepts (anything else is an error naming the property). */
export const KIND_OPTIONS: Record<(typeof JOB_KINDS)[number], Record<string, unknown>> = {
  backup: {target: {type: 'string', pattern: NAME}, perHost},
  verify: {rotate: {type: 'integer', minimum: 1, maximum: 366}, quick: {type: 'boolean'}, host: {type: 'string', pattern: NAME}, perHost},
  prune: {dryRun: {type: 'boolean'}, keepDaily: count, keepWeekly: count, keepMonthly: count},
  meter: {metrics: {type: 'array', items: {type: 'string', minLength: 1}, minItems: 1}, perHost},
  'invoice-generate': {period: {type: 'string', pattern: '^(previous|current|\\d{4}-(0[1-9]|1[0-2]))$'}, dryRun: {type: 'boolean'}},
  status: {maxBackupAgeHours: hours, maxVerifiedAgeHours: hours, packChecks: {type: 'boolean'}, certificateDays: {type: 'integer', minimum: 1, maximum: 365}, perHost},
  release: {release: {type: 'string', pattern: RELEASE_ID}, canary: {type: 'integer', minimum: 1, maximum: 9999}, includeFailed: {type: 'boolean'}},
}

/** Options a kind cannot do without (`release`: which release). */
const KIND_REQUIRED: Partial<Record<(typeof JOB_KINDS)[number], string[]>> = {release: ['release']}

const selection = {
  anyOf: [
    {const: 'all'},
    {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: {plan: {type: 'string', minLength: 1}, host: {type: 'string', pattern: NAME}, tag: {type: 'string', minLength: 1}, tenants: {...names, minItems: 1}},
    },
  ],
}

const job = {
  type: 'object',
  required: ['id', 'kind', 'cron'],
  additionalProperties: false,
  properties: {
    id: {type: 'string', pattern: NAME},
    kind: {enum: [...JOB_KINDS]},
    cron: {type: 'string', minLength: 1},
    timezone: {type: 'string', minLength: 1},
    select: selection,
    options: {type: 'object'},
    notify: routing,
    enabled: {type: 'boolean'},
    description: {type: 'string'},
  },
  // The options of the kind named: an unknown option is reported against its own path.
  allOf: JOB_KINDS.map((kind) => ({
    if: {properties: {kind: {const: kind}}, required: ['kind']},
    then: KIND_REQUIRED[kind]
      ? {required: ['options'], properties: {options: {type: 'object', additionalProperties: false, required: KIND_REQUIRED[kind], properties: KIND_OPTIONS[kind]}}}
      : {properties: {options: {type: 'object', additionalProperties: false, properties: KIND_OPTIONS[kind]}}},
  })),
}

const secretRef = (field: string) => ({[`${field}Env`]: {type: 'string', pattern: ENV_NAME}, [`${field}Secret`]: {type: 'string', minLength: 1}})

const webhook = {
  type: 'object',
  required: ['type'],
  additionalProperties: false,
  properties: {
    type: {const: 'webhook'},
    url: {type: 'string', pattern: '^https?://'},
    ...secretRef('url'),
    format: {enum: ['json', 'slack']},
    ...secretRef('token'),
  },
}

const email = {
  type: 'object',
  required: ['type', 'host', 'from', 'to'],
  additionalProperties: false,
  properties: {
    type: {const: 'email'},
    host: {type: 'string', minLength: 1},
    port: {type: 'integer', minimum: 1, maximum: 65535},
    secure: {type: 'boolean'},
    user: {type: 'string', minLength: 1},
    ...secretRef('password'),
    from: {type: 'string', minLength: 3},
    to: {type: 'array', items: {type: 'string', pattern: '^[^@\\s]+@[^@\\s]+$'}, minItems: 1},
  },
}

/** JSON Schema of schedule.yaml (draft-07, checked with ajv; docs/unattended.md explains each field). */
export const SCHEDULE_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'odoops schedule',
  type: 'object',
  required: ['version', 'jobs'],
  additionalProperties: false,
  properties: {
    version: {const: 1},
    timezone: {type: 'string', minLength: 1},
    channels: {
      type: 'object',
      propertyNames: {pattern: NAME},
      additionalProperties: {type: 'object', required: ['type'], properties: {type: {enum: ['webhook', 'email']}}, discriminator: {propertyName: 'type'}, oneOf: [webhook, email]},
    },
    notify: routing,
    jobs: {type: 'array', items: job},
  },
} as const
