import fs from 'node:fs';
import path from 'node:path';
import Parser from 'tree-sitter';
import Bicep from 'tree-sitter-bicep';

/**
 * Bicep as a syntax tree (tree-sitter-bicep), for the checks this machine can make without the
 * Bicep compiler: syntax, module wiring, settings, containers, secrets. The compiler itself
 * runs in CI (.github/workflows/validate-infra.yml).
 */

export type Node = Parser.SyntaxNode;

export const ROOT = path.resolve(__dirname, '../..');
export const INFRA = path.join(ROOT, 'infra');

const parser = new Parser();
parser.setLanguage(Bicep as unknown as Parser.Language);

export function parseBicep(source: string): Parser.Tree {
  // The callback form reads any size (the string form is limited to 32 KiB).
  return parser.parse((index) => source.slice(index, index + 4096));
}

/** Every ERROR or MISSING node, as `line:column: text`. */
export function syntaxErrors(tree: Parser.Tree): string[] {
  const errors: string[] = [];
  const visit = (node: Node) => {
    if (node.type === 'ERROR' || node.isMissing) {
      const where = `${node.startPosition.row + 1}:${node.startPosition.column + 1}`;
      const what = node.isMissing ? `missing ${node.type}` : node.text.slice(0, 60);
      errors.push(`${where}: ${what}`);
    }
    if (node.hasError || node.isMissing) node.children.forEach(visit);
  };
  visit(tree.rootNode);
  if (tree.rootNode.hasError && errors.length === 0) errors.push('syntax error');
  return errors;
}

/** Files under `dir` (recursively) whose name ends with `suffix`, as absolute paths. */
export function filesUnder(dir: string, suffix: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(suffix))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}

export interface BicepFile {
  file: string;
  source: string;
  tree: Parser.Tree;
}

const cache = new Map<string, BicepFile>();

export function loadBicep(file: string): BicepFile {
  let loaded = cache.get(file);
  if (!loaded) {
    const source = fs.readFileSync(file, 'utf8');
    loaded = { file, source, tree: parseBicep(source) };
    cache.set(file, loaded);
  }
  return loaded;
}

/** The text of a string literal without interpolation, else undefined. */
export function stringLiteral(node: Node | null | undefined): string | undefined {
  if (!node || node.type !== 'string') return undefined;
  if (node.namedChildren.some((child) => child.type === 'interpolation')) return undefined;
  return node.text.slice(1, -1);
}

/** The key of an object property: an identifier or a quoted string. */
export function propertyKey(property: Node): string {
  const key = property.namedChildren[0]!;
  return stringLiteral(key) ?? key.text;
}

/** The value node of an object property. */
export function propertyValue(property: Node): Node {
  return property.namedChildren[property.namedChildren.length - 1]!;
}

/** The direct properties of an object node, by key. */
export function properties(object: Node): Map<string, Node> {
  return new Map(
    object.namedChildren
      .filter((child) => child.type === 'object_property')
      .map((property) => [propertyKey(property), propertyValue(property)]),
  );
}

/** Decorator names preceding a top-level declaration, e.g. ['description', 'minValue']. */
function decoratorsOf(declaration: Node): Map<string, Node> {
  const previous = declaration.previousNamedSibling;
  const decorators = new Map<string, Node>();
  if (previous?.type !== 'decorators') return decorators;
  for (const decorator of previous.namedChildren) {
    const call = decorator.namedChildren[0];
    const name = call?.childForFieldName('function')?.text;
    const args = call?.childForFieldName('arguments');
    if (name && args) decorators.set(name, args);
  }
  return decorators;
}

export interface ParamDeclaration {
  name: string;
  hasDefault: boolean;
  nullable: boolean;
  decorators: Map<string, Node>;
}

export interface OutputDeclaration {
  name: string;
  decorators: Map<string, Node>;
}

export interface ModuleDeclaration {
  name: string;
  /** The module path as written, e.g. 'app/rbac.bicep'. */
  path: string;
  /** Keys of its `params` object. */
  params: string[];
  line: number;
}

function topLevel(file: BicepFile, type: string): Node[] {
  return file.tree.rootNode.namedChildren.filter((node) => node.type === type);
}

export function params(file: BicepFile): ParamDeclaration[] {
  return topLevel(file, 'parameter_declaration').map((node) => {
    const [name, type, defaultValue] = node.namedChildren;
    return {
      name: name!.text,
      hasDefault: defaultValue !== undefined,
      nullable: type?.namedChildren.some((child) => child.type === 'nullable_type') ?? false,
      decorators: decoratorsOf(node),
    };
  });
}

export function outputs(file: BicepFile): OutputDeclaration[] {
  return topLevel(file, 'output_declaration').map((node) => ({
    name: node.namedChildren[0]!.text,
    decorators: decoratorsOf(node),
  }));
}

/** The body object of a module or resource, through `if (...)` and `[for ...: ...]`. */
export function bodyObject(declaration: Node): Node | undefined {
  for (const child of declaration.namedChildren) {
    if (child.type === 'object') return child;
    if (child.type === 'if_statement' || child.type === 'for_statement') {
      const body = child.childForFieldName('body') ?? child.namedChildren.at(-1);
      if (body?.type === 'object') return body;
      if (body?.type === 'if_statement') return body.namedChildren.find((n) => n.type === 'object');
    }
  }
  return undefined;
}

export function modules(file: BicepFile): ModuleDeclaration[] {
  return topLevel(file, 'module_declaration').map((node) => {
    const body = bodyObject(node);
    const paramsObject = body ? properties(body).get('params') : undefined;
    return {
      name: node.namedChildren[0]!.text,
      path: stringLiteral(node.namedChildren[1]) ?? node.namedChildren[1]!.text,
      params: paramsObject?.type === 'object' ? [...properties(paramsObject).keys()] : [],
      line: node.startPosition.row + 1,
    };
  });
}

/** The value expression of a top-level `var name = ...`. */
export function variable(file: BicepFile, name: string): Node | undefined {
  const declaration = topLevel(file, 'variable_declaration').find(
    (node) => node.namedChildren[0]?.text === name,
  );
  return declaration?.namedChildren[1];
}

export function variableNames(file: BicepFile): string[] {
  return topLevel(file, 'variable_declaration').map((node) => node.namedChildren[0]!.text);
}

/** Every node of a type under `node`. */
export function descendants(node: Node, type: string): Node[] {
  return node.descendantsOfType(type);
}

/** Source text with runs of whitespace collapsed, for comparing expressions. */
export function compact(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

export type Value = unknown;
export type Scope = Record<string, Value>;

const FUNCTIONS: Record<string, (...args: Value[]) => Value> = {
  union: (...objects) => Object.assign({}, ...(objects as object[])),
  concat: (...arrays) => (arrays as Value[][]).flat(),
  empty: (value) =>
    value === null ||
    value === undefined ||
    value === '' ||
    (Array.isArray(value) && value.length === 0) ||
    (typeof value === 'object' && Object.keys(value as object).length === 0),
  string: (value) => (typeof value === 'string' ? value : JSON.stringify(value)),
  length: (value) => (Array.isArray(value) ? value.length : Object.keys(value as object).length),
  range: (start, count) => Array.from({ length: count as number }, (_, i) => (start as number) + i),
  split: (text, separator) => (text as string).split(separator as string),
  trim: (text) => (text as string).trim(),
  toLower: (text) => (text as string).toLowerCase(),
  max: (...numbers) => Math.max(...(numbers as number[])),
  map: (items, fn) =>
    (items as Value[]).map((item, i) => (fn as (...a: Value[]) => Value)(item, i)),
};

const ESCAPES: Record<string, string> = { "\\'": "'", '\\\\': '\\', '\\n': '\n', '\\$': '$' };

/** Evaluates the top-level variables of a file in order, over the given parameter values. */
export function evaluateVariables(file: BicepFile, parameters: Scope): Scope {
  const scope: Scope = { ...parameters };
  for (const name of variableNames(file)) scope[name] = evaluate(variable(file, name)!, scope);
  return scope;
}

/**
 * Evaluates a Bicep expression over `scope`: literals, objects, arrays, member access,
 * comparison, arithmetic and logic, ternaries, for-expressions, lambdas and a few functions
 * (union, concat, empty, string, length, range, split, trim, toLower, max, map).
 * Enough to compute what a template sends to Azure for given inputs, without the compiler.
 */
export function evaluate(node: Node, scope: Scope): Value {
  switch (node.type) {
    case 'object':
      return Object.fromEntries(
        node.namedChildren
          .filter((child) => child.type === 'object_property')
          .map((property) => [propertyKey(property), evaluate(propertyValue(property), scope)]),
      );
    case 'array':
      if (node.namedChildren.length === 1 && node.namedChildren[0]!.type === 'for_statement') {
        return evaluate(node.namedChildren[0]!, scope);
      }
      return node.namedChildren.map((child) => evaluate(child, scope));
    case 'string':
      return node.namedChildren
        .map((part) => {
          if (part.type === 'interpolation') return String(evaluate(part.namedChildren[0]!, scope));
          if (part.type === 'escape_sequence') return ESCAPES[part.text] ?? part.text;
          return part.text;
        })
        .join('');
    case 'number':
      return Number(node.text);
    case 'boolean':
      return node.text === 'true';
    case 'null':
      return null;
    case 'identifier':
      if (!(node.text in scope)) throw new Error(`unknown identifier ${node.text}`);
      return scope[node.text];
    case 'parenthesized_expression':
      return evaluate(node.namedChildren[0]!, scope);
    case 'for_statement': {
      // `[for item in items: body]` (the `(item, index)` form is not needed by the templates)
      const item = node.childForFieldName('initializer');
      if (!item) break;
      const items = evaluate(node.namedChildren[1]!, scope) as Value[];
      const body = node.childForFieldName('body')!;
      return items.map((value) => evaluate(body, { ...scope, [item.text]: value }));
    }
    case 'lambda_expression': {
      // `x => body` or `(x, i) => body`
      const [parameters, body] = node.namedChildren;
      const names =
        parameters!.type === 'identifier'
          ? [parameters!.text]
          : parameters!.namedChildren.map((child) => child.text);
      return (...args: Value[]) =>
        evaluate(body!, { ...scope, ...Object.fromEntries(names.map((n, i) => [n, args[i]])) });
    }
    case 'subscript_expression': {
      const object = evaluate(node.childForFieldName('object')!, scope) as Record<string, Value>;
      return object[evaluate(node.childForFieldName('index')!, scope) as string];
    }
    case 'member_expression': {
      const object = evaluate(node.childForFieldName('object')!, scope) as Record<string, Value>;
      return object[node.childForFieldName('property')!.text];
    }
    case 'ternary_expression':
      return evaluate(node.childForFieldName('condition')!, scope)
        ? evaluate(node.childForFieldName('consequence')!, scope)
        : evaluate(node.childForFieldName('alternative')!, scope);
    case 'unary_expression': {
      const argument = evaluate(node.childForFieldName('argument')!, scope);
      const operator = node.childForFieldName('operator')?.text ?? node.child(0)!.text;
      if (operator === '!') return !argument;
      if (operator === '-') return -(argument as number);
      break;
    }
    case 'binary_expression': {
      const left = evaluate(node.childForFieldName('left')!, scope);
      const right = () => evaluate(node.childForFieldName('right')!, scope);
      const operator = node.childForFieldName('operator')?.text ?? node.child(1)!.text;
      switch (operator) {
        case '==':
          return JSON.stringify(left) === JSON.stringify(right());
        case '!=':
          return JSON.stringify(left) !== JSON.stringify(right());
        case '&&':
          return Boolean(left) && Boolean(right());
        case '||':
          return Boolean(left) || Boolean(right());
        case '??':
          return left ?? right();
        case '+':
          return (left as number) + (right() as number);
        case '-':
          return (left as number) - (right() as number);
        case '*':
          return (left as number) * (right() as number);
        case '%':
          return (left as number) % (right() as number);
        case '/':
          return Math.trunc((left as number) / (right() as number));
      }
      break;
    }
    case 'call_expression': {
      const name = node.childForFieldName('function')!.text;
      const fn = FUNCTIONS[name];
      if (fn) {
        const args = node.childForFieldName('arguments')!.namedChildren;
        return fn(...args.map((arg) => evaluate(arg, scope)));
      }
      break;
    }
  }
  throw new Error(`cannot evaluate ${node.type}: ${node.text.slice(0, 80)}`);
}
