// The comparison for weft's analyzer: TypeScript's parser (`createSourceFile`) plus a
// scope-aware walk that finds the closure at a call site, its free variables, and the top-level
// declarations they reach, transitively (what weft's analyzer reports).

export function analyzeWithTypeScript(ts, fileName, source, offset) {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  let call;
  const find = (node) => {
    if (call !== undefined || offset < node.pos || offset >= node.end) return;
    if (ts.isCallExpression(node) && node.getStart(file) === offset) call = node;
    else ts.forEachChild(node, find);
  };
  find(file);
  if (call === undefined) throw new Error(`no call at offset ${offset}`);
  const closure = call.arguments[0];

  const top = new Map();
  for (const statement of file.statements) {
    for (const name of declaredBy(ts, statement)) top.set(name, statement);
  }
  const locals = [];
  const reached = new Map();
  const queue = [];
  for (const name of freeNames(ts, closure)) {
    if (top.has(name)) queue.push(name);
    else locals.push(name);
  }
  while (queue.length > 0) {
    const name = queue.pop();
    if (reached.has(name) || !top.has(name)) continue;
    const declaration = top.get(name);
    const { line, character } = file.getLineAndCharacterOfPosition(declaration.getStart(file));
    reached.set(name, { name, kind: ts.SyntaxKind[declaration.kind], line: line + 1, column: character + 1 });
    for (const next of freeNames(ts, declaration)) queue.push(next);
  }
  return { locals, top_level: [...reached.values()] };
}

/** Names a top-level statement binds as values (types-only declarations bind none). */
function declaredBy(ts, node) {
  if (ts.isFunctionDeclaration(node) || ts.isClassDeclaration(node) || ts.isEnumDeclaration(node) || ts.isModuleDeclaration(node)) {
    return node.name && ts.isIdentifier(node.name) ? [node.name.text] : [];
  }
  if (ts.isVariableStatement(node)) return node.declarationList.declarations.flatMap((d) => bindingNames(ts, d.name));
  if (ts.isImportDeclaration(node) && node.importClause !== undefined) {
    const clause = node.importClause;
    const names = clause.name ? [clause.name.text] : [];
    const bindings = clause.namedBindings;
    if (bindings && ts.isNamespaceImport(bindings)) names.push(bindings.name.text);
    else if (bindings) for (const e of bindings.elements) names.push(e.name.text);
    return names;
  }
  return [];
}

function bindingNames(ts, name) {
  if (ts.isIdentifier(name)) return [name.text];
  return name.elements.flatMap((e) => (ts.isOmittedExpression(e) ? [] : bindingNames(ts, e.name)));
}

/** The names a scope node declares for its body: parameters and declarations not inside nested functions. */
function scopeOf(ts, node) {
  const names = new Set();
  for (const p of node.parameters ?? []) for (const n of bindingNames(ts, p.name)) names.add(n);
  if ((ts.isFunctionExpression(node) || ts.isClassExpression(node)) && node.name) names.add(node.name.text);
  const collect = (child) => {
    if (ts.isVariableDeclaration(child)) for (const n of bindingNames(ts, child.name)) names.add(n);
    else if (ts.isCatchClause(child) && child.variableDeclaration) {
      for (const n of bindingNames(ts, child.variableDeclaration.name)) names.add(n);
    }
    if (
      ts.isFunctionDeclaration(child) || ts.isClassDeclaration(child) || ts.isEnumDeclaration(child) ||
      ts.isModuleDeclaration(child)
    ) {
      if (child.name && ts.isIdentifier(child.name)) names.add(child.name.text);
    }
    if (!isScope(ts, child)) ts.forEachChild(child, collect);
  };
  const body = node.body;
  if (body !== undefined) {
    if (isScope(ts, body)) collect(body);
    else ts.forEachChild(body, collect);
  }
  return names;
}

function isScope(ts, node) {
  return ts.isFunctionLike(node) || ts.isModuleDeclaration(node) || ts.isClassLike(node);
}

/** Identifiers read inside `root` that no scope inside it (or `root` itself) declares. */
function freeNames(ts, root) {
  const free = new Set();
  const walk = (node, scopes) => {
    if (ts.isTypeNode(node) || ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node) || ts.isTypeParameterDeclaration(node)) {
      return;
    }
    if (isScope(ts, node)) scopes = [...scopes, scopeOf(ts, node)];
    if (ts.isIdentifier(node)) {
      if (isReference(ts, node) && !scopes.some((s) => s.has(node.text))) free.add(node.text);
      return;
    }
    ts.forEachChild(node, (child) => walk(child, scopes));
  };
  walk(root, []);
  return free;
}

function isReference(ts, id) {
  const parent = id.parent;
  if (ts.isPropertyAccessExpression(parent) && parent.name === id) return false;
  if ((ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent) || ts.isMethodDeclaration(parent) ||
    ts.isGetAccessorDeclaration(parent) || ts.isSetAccessorDeclaration(parent) || ts.isEnumMember(parent) ||
    ts.isPropertySignature(parent)) && parent.name === id) return false;
  if ((ts.isVariableDeclaration(parent) || ts.isParameter(parent) || ts.isBindingElement(parent) ||
    ts.isFunctionDeclaration(parent) || ts.isClassDeclaration(parent) || ts.isEnumDeclaration(parent) ||
    ts.isModuleDeclaration(parent) || ts.isFunctionExpression(parent) || ts.isClassExpression(parent)) && parent.name === id) {
    return false;
  }
  if (ts.isBindingElement(parent) && parent.propertyName === id) return false;
  if (ts.isImportSpecifier(parent) || ts.isImportClause(parent) || ts.isNamespaceImport(parent)) return false;
  if (ts.isLabeledStatement(parent) || ts.isBreakOrContinueStatement(parent)) return false;
  return true;
}
