/**
 * JSON Schema (draft-07, checked with ajv) of a plan file. The shapes only: rules across
 * fields (kind ↔ components, declared metrics, band order, tax) are in plan-rules.ts.
 */
const amount = {
  description: 'decimal amount, written "24.90" (a plain YAML number also works)',
  anyOf: [
    {type: 'string', pattern: '^(0|[1-9][0-9]*)(\\.[0-9]+)?$'},
    {type: 'number', minimum: 0},
  ],
}
const quantity = {type: 'number', minimum: 0}
const metricName = {type: 'string', pattern: '^[a-z][a-z0-9_]*(\\.[a-z0-9_]+)*$'}
const description = {type: 'string', minLength: 1, maxLength: 200}

export const PLAN_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'odoops pricing plan',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'kind', 'currency', 'period', 'tax', 'components'],
  properties: {
    id: {type: 'string', pattern: '^[a-z][a-z0-9-]{0,62}$', description: 'plan id, used by tenant set-plan'},
    name: {type: 'string', minLength: 1, maxLength: 120},
    description: {type: 'string'},
    kind: {enum: ['per-user', 'unlimited', 'bands', 'hybrid']},
    currency: {type: 'string', pattern: '^[A-Z]{3}$', description: 'ISO 4217 code'},
    period: {const: 'monthly'},
    tax: {
      type: 'object',
      additionalProperties: false,
      required: ['category', 'percent'],
      properties: {
        category: {enum: ['S', 'Z', 'E', 'AE', 'K', 'G', 'O', 'L', 'M'], description: 'UNCL5305 tax category'},
        percent: amount,
      },
    },
    metrics: {
      type: 'object',
      propertyNames: metricName,
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['aggregation'],
        properties: {
          aggregation: {enum: ['max', 'latest', 'average', 'sum']},
          sources: {type: 'array', minItems: 1, uniqueItems: true, items: metricName},
          unit: {type: 'string', minLength: 1},
          unitCode: {type: 'string', pattern: '^[A-Z0-9]{2,3}$'},
          description,
        },
      },
    },
    components: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['type'],
        discriminator: {propertyName: 'type'},
        oneOf: [
          {
            additionalProperties: false,
            required: ['type', 'description', 'price'],
            properties: {type: {const: 'flat'}, description, price: amount},
          },
          {
            additionalProperties: false,
            required: ['type', 'price'],
            properties: {type: {const: 'per-user'}, description, metric: metricName, price: amount, minimum: {type: 'integer', minimum: 0}},
          },
          {
            additionalProperties: false,
            required: ['type', 'metric', 'threshold', 'action'],
            properties: {type: {const: 'fair-use'}, description, metric: metricName, threshold: quantity, action: {enum: ['alert', 'overage']}, price: amount},
          },
          {
            additionalProperties: false,
            required: ['type', 'metric', 'mode', 'bands'],
            properties: {
              type: {const: 'bands'},
              description,
              metric: metricName,
              mode: {enum: ['volume', 'graduated']},
              bands: {
                type: 'array',
                minItems: 1,
                items: {
                  type: 'object',
                  additionalProperties: false,
                  anyOf: [{required: ['unitPrice']}, {required: ['flatPrice']}],
                  properties: {upTo: {type: 'number', exclusiveMinimum: 0}, unitPrice: amount, flatPrice: amount},
                },
              },
            },
          },
          {
            additionalProperties: false,
            required: ['type', 'id', 'description', 'price'],
            properties: {type: {const: 'addon'}, id: {type: 'string', pattern: '^[a-z][a-z0-9-]{0,62}$'}, description, price: amount, quantity: {type: 'number', exclusiveMinimum: 0}},
          },
        ],
      },
    },
  },
} as const
