/**
 * The Skills extension (SEP-2640) against a real server that serves it (the fixture's `--skills`):
 * listing reads no skill file, each file read is verified against the skill's entry, a file the entry
 * does not list is refused before anything is sent, and bad arguments are refused where they enter.
 */
import { describe, expect, it } from 'vitest';
import {
  InvalidOptionError,
  RequestFailedError,
  SkillVerificationError,
  UnknownNameError,
  type Skill,
} from '../../src/index.js';
import { fixture, hostFixture } from '../helpers.js';

describe('skills', () => {
  it('lists a server’s skills and reads their files, verified; a server without them has none', async () => {
    await using fx = await hostFixture({ s: fixture(['--skills']), plain: fixture() });
    const { host } = fx;
    // Every request the host sends for the caller, as interceptors see it: the listing reads no file.
    const seen: string[] = [];
    host.use(async (ctx, next) => {
      seen.push(ctx.method);
      return next();
    });
    const skills = await host.listSkills('s');
    expect(skills.map((s) => s.uri)).toEqual(['skill://pdf-processing/SKILL.md']);
    expect(skills[0]!.frontmatter).toMatchObject({ name: 'pdf-processing' });
    expect(seen).toEqual(['skills/list']);

    const manifest = await host.readSkill('s', skills[0]!);
    expect(manifest).toMatchObject({ uri: 'skill://pdf-processing/SKILL.md', verified: true });
    expect(manifest.frontmatter).toEqual(skills[0]!.frontmatter);
    expect(manifest.body).toContain('Read references/FORMS.md first.');
    const forms = await host.readSkill('s', skills[0]!, 'references/FORMS.md');
    expect(forms).toMatchObject({ text: 'How to fill forms.\n', verified: true });
    expect(seen).toEqual(['skills/list', 'skills/read', 'skills/read']);

    expect(await host.listSkills('plain')).toEqual([]);
  });

  it('refuses a file the skill entry does not list, and a tampered entry, with the SDK’s verdict', async () => {
    await using fx = await hostFixture({ s: fixture(['--skills']) });
    const { host } = fx;
    const [skill] = await host.listSkills('s');
    if (!skill || !Array.isArray(skill.resources)) throw new Error('expected a listed skill with its files');
    const unlisted = host.readSkill('s', skill, 'secrets.md');
    await expect(unlisted).rejects.toBeInstanceOf(RequestFailedError);
    await expect(unlisted).rejects.toMatchObject({ cause: { reason: 'unlisted' } });
    // An entry whose digest for SKILL.md is not the server's: the file read does not match it.
    const tampered: Skill = {
      ...skill,
      resources: skill.resources.map((r) =>
        r.uri === skill.uri ? { ...r, digest: `sha256:${'0'.repeat(64)}` } : r,
      ),
    };
    const failed = await host.readSkill('s', tampered).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(RequestFailedError);
    expect((failed as RequestFailedError).cause).toBeInstanceOf(SkillVerificationError);
    expect((failed as RequestFailedError).cause).toMatchObject({ reason: 'digest' });
  });

  it('refuses bad arguments where they enter', async () => {
    await using fx = await hostFixture({ s: fixture(['--skills']) });
    const { host } = fx;
    const [skill] = await host.listSkills('s');
    await expect(host.listSkills('nope')).rejects.toBeInstanceOf(UnknownNameError);
    await expect(host.readSkill('s', null as unknown as Skill)).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(host.readSkill('s', { uri: 1 } as unknown as Skill)).rejects.toBeInstanceOf(
      InvalidOptionError,
    );
    await expect(host.readSkill('s', skill!, 7 as unknown as string)).rejects.toBeInstanceOf(
      InvalidOptionError,
    );
    await expect(host.listSkills('s', { timeoutMs: 0 })).rejects.toBeInstanceOf(InvalidOptionError);
  });
});
