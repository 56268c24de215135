// Whether a folder lets someone else than its owner and root replace what the daemon keeps in
// it (the pid and status files, the control socket, the override state): writable by others or
// its group and not sticky (in a sticky folder such as /tmp nobody can replace or remove a
// file they do not own).
import { statSync } from 'node:fs';

/**
 * Who besides us can replace files in `dir` ('others', 'its group', 'its owner (uid N)'), or
 * undefined when nobody can. A folder that does not exist (yet) is not judged here: writing in
 * it fails plainly.
 */
export function folderWriters(
  dir: string,
  uid: number = process.getuid?.() ?? 0,
): string | undefined {
  let st;
  try {
    st = statSync(dir);
  } catch {
    return undefined;
  }
  if ((st.mode & 0o1000) !== 0) return undefined;
  if ((st.mode & 0o002) !== 0) return 'others';
  if ((st.mode & 0o020) !== 0) return 'its group';
  if (st.uid !== uid && st.uid !== 0 && (st.mode & 0o200) !== 0) return `its owner (uid ${st.uid})`;
  return undefined;
}
