// Placeholder until the parser lands (issue 2); replaced in the same session.
export async function run(_argv: string[]): Promise<number> {
  process.stderr.write('ldirectord-ts: this command is not built yet\n');
  return 1;
}
