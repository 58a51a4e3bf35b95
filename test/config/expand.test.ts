// Tests for variable expansion: ${VAR}, ${VAR:-default}, ${env:VAR}, ${workspaceFolder}, and what is reported.
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { expandString, workspaceFolderOf } from '../../src/config/expand.js';

const env = { HOME: '/home/me', EMPTY: '', TOKEN: 'secret' };
const context = { workspaceFolder: '/work/project' };
const expand = (text: string) => expandString(text, env, context);

describe('expandString', () => {
  it('expands ${VAR} and ${env:VAR}', () => {
    expect(expand('${HOME}/bin:${env:TOKEN}')).toEqual({
      value: '/home/me/bin:secret',
      missing: [],
      unsupported: [],
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
    expect(expand('a${EMPTY}b')).toEqual({ value: 'ab', missing: [], unsupported: [] });
  });

  it('expands ${workspaceFolder}', () => {
    expect(expand('${workspaceFolder}/data').value).toBe('/work/project/data');
  });

  it('reports unset variables without a default', () => {
    expect(expand('--token=${GITHUB_TOKEN} ${env:OTHER}')).toEqual({
      value: '--token=${GITHUB_TOKEN} ${env:OTHER}',
      missing: ['GITHUB_TOKEN', 'OTHER'],
      unsupported: [],
    });
  });

  it('reports references it does not support', () => {
    expect(expand('${input:token} ${command:pick}').unsupported).toEqual([
      '${input:token}',
      '${command:pick}',
    ]);
  });

  it('leaves a $ not followed by { alone', () => {
    expect(expand('cost $5 $HOME ${').value).toBe('cost $5 $HOME ${');
  });
});

describe('workspaceFolderOf', () => {
  it('is the directory of the file, or the parent of .vscode', () => {
    expect(workspaceFolderOf(join('/p', 'mcp.json'))).toBe('/p');
    expect(workspaceFolderOf(join('/p', '.vscode', 'mcp.json'))).toBe('/p');
  });
});
