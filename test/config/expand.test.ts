// Tests for variable expansion: ${VAR}, ${VAR:-default}, ${env:VAR}, ${workspaceFolder}, and what is reported.
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { expandString, MAX_DEFAULT_NESTING, workspaceFolderOf } from '../../src/config/expand.js';

const env = { HOME: '/home/me', EMPTY: '', TOKEN: 'secret' };
const context = { workspaceFolder: '/work/project' };
const expand = (text: string) => expandString(text, env, context);

describe('expandString', () => {
  it('expands ${VAR} and ${env:VAR}', () => {
    expect(expand('${HOME}/bin:${env:TOKEN}')).toEqual({
      value: '/home/me/bin:secret',
      missing: [],
      unsupported: [],
      malformed: [],
    });
  });

  it('uses the default when the variable is unset or empty', () => {
    expect(expand('${NOPE:-fallback}').value).toBe('fallback');
    expect(expand('${EMPTY:-fallback}').value).toBe('fallback');
    expect(expand('${TOKEN:-fallback}').value).toBe('secret');
    expect(expand('${env:NOPE:-x:y}').value).toBe('x:y');
    expect(expand('${NOPE:-}').value).toBe('');
  });

  it('keeps a set-but-empty variable without default as empty', () => {
    expect(expand('a${EMPTY}b')).toEqual({ value: 'ab', missing: [], unsupported: [], malformed: [] });
  });

  it('expands ${workspaceFolder}', () => {
    expect(expand('${workspaceFolder}/data').value).toBe('/work/project/data');
  });

  it('reports unset variables without a default', () => {
    expect(expand('--token=${GITHUB_TOKEN} ${env:OTHER}')).toEqual({
      value: '--token=${GITHUB_TOKEN} ${env:OTHER}',
      missing: ['GITHUB_TOKEN', 'OTHER'],
      unsupported: [],
      malformed: [],
    });
  });

  it('reports references it does not support', () => {
    expect(expand('${input:token} ${command:pick}').unsupported).toEqual([
      '${input:token}',
      '${command:pick}',
    ]);
  });

  it('leaves a $ not followed by { alone', () => {
    expect(expand('cost $5 $HOME $ {x} $')).toEqual({
      value: 'cost $5 $HOME $ {x} $',
      missing: [],
      unsupported: [],
      malformed: [],
    });
  });

  it('expands nested defaults, and only the default that is used', () => {
    expect(expand('${NOPE:-${HOME}}/bin').value).toBe('/home/me/bin');
    expect(expand('${NOPE:-${ALSO_NOPE:-${TOKEN}}}')).toEqual({
      value: 'secret',
      missing: [],
      unsupported: [],
      malformed: [],
    });
    expect(expand('${NOPE:-${env:EMPTY:-x}-${workspaceFolder}}').value).toBe('x-/work/project');
    // The variable is set, so its default (with an unset variable in it) is never looked at.
    expect(expand('${TOKEN:-${MISSING}}')).toEqual({
      value: 'secret',
      missing: [],
      unsupported: [],
      malformed: [],
    });
  });

  it('reports an unset variable inside a default that is used', () => {
    expect(expand('${NOPE:-${MISSING}}')).toMatchObject({ missing: ['MISSING'], malformed: [] });
  });

  it('never expands a value taken from the environment again', () => {
    expect(expandString('${A}', { A: '${B}', B: 'no' }, context).value).toBe('${B}');
  });

  it.each([
    ['${HOME', '"${HOME" is not closed'],
    ['x ${NOPE:-${HOME}', '"${NOPE:-${HOME}" is not closed'],
    ['${', '"${" is not closed'],
    ['${}', '"${}" is not a valid reference'],
    ['${A B}', '"${A B}" is not a valid reference'],
    ['${:-x}', '"${:-x}" is not a valid reference'],
    ['${env:}', '"${env:}" is not a valid reference'],
  ])('reports the malformed reference in %j', (text, message) => {
    const result = expand(text);
    expect(result.malformed).toHaveLength(1);
    expect(result.malformed[0]).toContain(message);
    expect(result.value).toBe(text);
  });

  it(`reports defaults nested deeper than ${MAX_DEFAULT_NESTING} levels instead of recursing`, () => {
    const ok = '${N:-'.repeat(MAX_DEFAULT_NESTING - 1) + '${HOME}' + '}'.repeat(MAX_DEFAULT_NESTING - 1);
    expect(expand(ok)).toMatchObject({ value: '/home/me', malformed: [] });
    const deep = '${N:-'.repeat(10_000) + 'x' + '}'.repeat(10_000);
    const result = expand(deep);
    expect(result.malformed).toEqual([expect.stringContaining(`more than ${MAX_DEFAULT_NESTING} levels`)]);
  });
});

describe('workspaceFolderOf', () => {
  it('is the directory of the file, or the parent of .vscode', () => {
    expect(workspaceFolderOf(join('/p', 'mcp.json'))).toBe('/p');
    expect(workspaceFolderOf(join('/p', '.vscode', 'mcp.json'))).toBe('/p');
  });
});
