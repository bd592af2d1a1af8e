/**
 * Generates the JSON Schema of every command's `--json` output, and of the error
 * document, into schemas/ (see docs/json-output.md). Run `npm run schemas` after changing
 * a command's result type; test/contracts/schemas.test.ts fails while the files are stale.
 *
 * The convention: a command's result type is the type argument of `OdoopsCommand<…>` in
 * its class declaration (`export default class ConfigList extends OdoopsCommand<ConfigListResult>`),
 * read here with the TypeScript compiler API. It is the type `run()` must return, so the
 * schema cannot drift from what the compiler checks. One schema per command file:
 * `src/commands/config/list.ts` (id `config list`) → `schemas/config-list.json`.
 *
 *   node --import tsx .ci/generate-schemas.ts           write schemas/
 *   node --import tsx .ci/generate-schemas.ts --check   exit 1 when schemas/ is stale
 */
import {readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync} from 'node:fs'
import {join, relative, resolve, sep} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'
import ts from 'typescript'
import tsj from 'ts-json-schema-generator'
import type {CompletedConfig} from 'ts-json-schema-generator'

export const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)))
export const SCHEMA_DIR = join(ROOT, 'schemas')
const COMMANDS_DIR = join(ROOT, 'src', 'commands')
const BASE_COMMAND = join(ROOT, 'src', 'cli', 'base-command.ts')
const BASE_CLASS = 'OdoopsCommand'
const ERROR_TYPE = 'JsonError'
export const ERROR_SCHEMA_FILE = 'error.json'

export interface CommandFile {
  /** oclif command id, `config:list`. */
  id: string
  file: string
}

/** oclif's id for a command file: the path under src/commands, `index` naming its topic. */
export function commandIdOf(file: string): string {
  const parts = relative(COMMANDS_DIR, file).replace(/\.ts$/, '').split(sep)
  if (parts.length > 1 && parts.at(-1) === 'index') parts.pop()
  return parts.join(':')
}

/** The schema file of a command id: `config:list` → `config-list.json`. */
export function schemaFileOf(id: string): string {
  return id.replaceAll(':', '-') + '.json'
}

export function commandFiles(dir = COMMANDS_DIR): CommandFile[] {
  const out: CommandFile[] = []
  for (const entry of readdirSync(dir, {withFileTypes: true})) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...commandFiles(path))
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push({id: commandIdOf(path), file: path})
  }
  return out.sort((a, b) => a.id.localeCompare(b.id))
}

function compilerOptions(): ts.CompilerOptions {
  const configFile = ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile)
  if (configFile.error) throw new Error(ts.flattenDiagnosticMessageText(configFile.error.messageText, '\n'))
  return {...ts.parseJsonConfigFileContent(configFile.config, ts.sys, ROOT).options, noEmit: true}
}

/** The type argument of `extends OdoopsCommand<T>` on the file's default-exported class. */
function resultTypeNode(source: ts.SourceFile): ts.TypeNode | string {
  const isDefaultExport = (node: ts.ClassDeclaration) =>
    ts.getModifiers(node)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) && ts.getModifiers(node)?.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword)
  const cls = source.statements.find((s): s is ts.ClassDeclaration => ts.isClassDeclaration(s) && Boolean(isDefaultExport(s)))
  if (!cls) return `no "export default class … extends ${BASE_CLASS}<Result>" found`
  const base = cls.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0]
  if (!base || !ts.isIdentifier(base.expression) || base.expression.text !== BASE_CLASS) {
    return `class ${cls.name?.text ?? '(default)'} must extend ${BASE_CLASS}<Result> directly`
  }
  const arg = base.typeArguments?.[0]
  if (!arg) return `class ${cls.name?.text ?? '(default)'} extends ${BASE_CLASS} without a result type: declare ${BASE_CLASS}<${cls.name?.text ?? 'Command'}Result>`
  return arg
}

function errorTypeNode(source: ts.SourceFile): ts.Node {
  const decl = source.statements.find((s) => (ts.isInterfaceDeclaration(s) || ts.isTypeAliasDeclaration(s)) && s.name.text === ERROR_TYPE)
  if (!decl) throw new Error(`${relative(ROOT, BASE_COMMAND)} no longer declares ${ERROR_TYPE}`)
  return decl
}

function serialize(schema: object, comment: string): string {
  return JSON.stringify({$comment: comment, ...schema}, null, 2) + '\n'
}

interface JsonSchema {
  $ref?: string
  anyOf?: JsonSchema[]
  type?: string
  properties?: Record<string, unknown>
  definitions?: Record<string, JsonSchema>
}

/** Commands whose result is a document of its own (an importable dump) rather than a report. */
const DOCUMENT_RESULTS = new Set(['state:export'])

/**
 * OdoopsCommand.toSuccessJson adds the run's `warnings` to every result object; the schema
 * says so on the result type (and on each object of a union), not on nested types.
 */
function withWarnings(schema: JsonSchema, id: string): JsonSchema {
  const warnings = {type: 'array', items: {type: 'string'}, description: 'Warnings of this run (also printed on stderr as "Warning: …"); may be empty.'}
  // Through every alias ($ref to a definition that is itself a $ref or a union), each definition once.
  const seen = new Set<string>()
  const objectsOf = (s: JsonSchema): JsonSchema[] => {
    if (s.$ref) {
      const name = s.$ref.replace('#/definitions/', '')
      const target = schema.definitions?.[name]
      if (!target || seen.has(name)) return []
      seen.add(name)
      return objectsOf(target)
    }
    if (s.anyOf) return s.anyOf.flatMap(objectsOf)
    return s.type === 'object' && s.properties ? [s] : []
  }
  for (const object of objectsOf(schema)) {
    if (DOCUMENT_RESULTS.has(id) && 'format' in (object.properties ?? {})) continue
    object.properties = {...object.properties, warnings}
  }
  return schema
}

/** Every schema file's name and content, generated in memory. Throws listing every command it cannot handle. */
export function generateSchemas(): Map<string, string> {
  const commands = commandFiles()
  const program = ts.createProgram([BASE_COMMAND, ...commands.map((c) => c.file)], compilerOptions())
  const config: CompletedConfig = {
    ...tsj.DEFAULT_CONFIG,
    expose: 'export',
    topRef: true,
    jsDoc: 'extended',
    sortProps: true,
    skipTypeCheck: true,
    additionalProperties: false,
  }
  const generator = new tsj.SchemaGenerator(program, tsj.createParser(program, config), tsj.createFormatter(config), config)
  const out = new Map<string, string>()
  const problems: string[] = []
  for (const command of commands) {
    const source = program.getSourceFile(command.file)
    const node = source ? resultTypeNode(source) : 'not in the program'
    if (typeof node === 'string') {
      problems.push(`${relative(ROOT, command.file)}: ${node}`)
      continue
    }
    try {
      const schema = withWarnings(generator.createSchemaFromNodes([node]) as JsonSchema, command.id)
      const display = command.id.replaceAll(':', ' ')
      out.set(schemaFileOf(command.id), serialize({title: `odoops ${display} --json`, ...schema}, `Generated by .ci/generate-schemas.ts from ${relative(ROOT, command.file)} (${node.getText()}). Do not edit: run npm run schemas.`))
    } catch (error) {
      problems.push(`${relative(ROOT, command.file)}: ${(error as Error).message}`)
    }
  }
  const base = program.getSourceFile(BASE_COMMAND)
  if (!base) throw new Error(`${BASE_COMMAND} not found`)
  out.set(ERROR_SCHEMA_FILE, serialize({title: 'odoops error document (any command, --json)', ...generator.createSchemaFromNodes([errorTypeNode(base)])}, `Generated by .ci/generate-schemas.ts from ${relative(ROOT, BASE_COMMAND)} (${ERROR_TYPE}). Do not edit: run npm run schemas.`))
  if (problems.length > 0) throw new Error(`Cannot generate the JSON schemas of:\n  ${problems.join('\n  ')}`)
  return out
}

/** The committed schema files (name → content). */
export function committedSchemas(): Map<string, string> {
  const out = new Map<string, string>()
  if (!existsSync(SCHEMA_DIR)) return out
  for (const name of readdirSync(SCHEMA_DIR).filter((n) => n.endsWith('.json')).sort()) out.set(name, readFileSync(join(SCHEMA_DIR, name), 'utf8'))
  return out
}

/** Names of files that differ between what is generated and what is committed (missing, stale, extra). */
export function staleSchemas(generated: Map<string, string>, committed: Map<string, string>): string[] {
  const names = new Set([...generated.keys(), ...committed.keys()])
  return [...names].filter((name) => generated.get(name) !== committed.get(name)).sort()
}

function main(): void {
  const generated = generateSchemas()
  const committed = committedSchemas()
  const stale = staleSchemas(generated, committed)
  if (process.argv.includes('--check')) {
    if (stale.length > 0) {
      process.stderr.write(`schemas/ is stale (${stale.join(', ')}): run npm run schemas\n`)
      process.exitCode = 1
    }
    return
  }
  mkdirSync(SCHEMA_DIR, {recursive: true})
  for (const name of stale) {
    const content = generated.get(name)
    if (content === undefined) rmSync(join(SCHEMA_DIR, name))
    else writeFileSync(join(SCHEMA_DIR, name), content)
  }
  process.stdout.write(`${generated.size} schemas in ${relative(process.cwd(), SCHEMA_DIR) || '.'}/ (${stale.length} changed${stale.length ? ': ' + stale.join(', ') : ''})\n`)
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) main()
