// Command lines from the config (fallbackcommand, callback) are run without a shell. The
// original handed them to Perl's system(), which splits a plain string on whitespace and runs
// anything else through /bin/sh. We split the way sh would for what needs no shell features —
// words, and quoted words ("a b" or 'a b', the quotes removed: the global fallbackcommand keeps
// the quotes of `fallbackcommand="/path/fb"`) — and refuse the rest (redirections, pipes,
// variables, globs...). The config loader refuses such a command at load time.

export type SplitCommand = { ok: true; argv: string[] } | { ok: false; reason: string };

/** Characters that ask sh for more than words (Perl's PL_sh_metachars, quotes aside). */
const SHELL_FEATURES = /[$&*(){}[\];\\|?<>~`]/;

export function splitCommand(command: string): SplitCommand {
  const text = command.replace(/\n$/, '');
  const argv: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"' || c === "'") {
      const end = text.indexOf(c, i + 1);
      if (end < 0) return { ok: false, reason: `unterminated ${c} quote` };
      const quoted = text.slice(i + 1, end);
      // Inside double quotes sh still expands $, ` and \: those need a shell.
      if (c === '"' && /[$`\\]/.test(quoted)) return needsShell(quoted);
      word = (word ?? '') + quoted;
      i = end;
    } else if (/\s/.test(c)) {
      if (word !== undefined) argv.push(word);
      word = undefined;
    } else if (SHELL_FEATURES.test(c)) {
      return needsShell(c);
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) argv.push(word);
  if (argv.length === 0) return { ok: false, reason: 'the command is empty' };
  if (argv[0] === 'exec' || argv[0] === '.' || /^\w+=/.test(argv[0]!))
    return { ok: false, reason: `"${argv[0]}" needs a shell: commands run without a shell` };
  return { ok: true, argv };
}

function needsShell(what: string): SplitCommand {
  return {
    ok: false,
    reason: `shell metacharacter ${JSON.stringify(what)}: commands run without a shell`,
  };
}
