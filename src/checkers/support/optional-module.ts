// Modules only some configs need (oracledb for service=oracle) are loaded on the first check
// that needs them, so the program starts, and every other check runs, without them. When one
// cannot be loaded (left out of an install or of a build), the check fails with a reason that
// names the module, instead of the loader's message about search paths.

/** The error codes with which node, a bundle and the single executable report a missing module. */
const MISSING = new Set(['ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND', 'ERR_UNKNOWN_BUILTIN_MODULE']);

export class MissingModuleError extends Error {
  constructor(name: string, feature: string) {
    super(`${feature} needs the Node module ${name}, which this ldirectord-ts does not have`);
    this.name = 'MissingModuleError';
  }
}

/** `load()` (an `import()` of `name`), with a missing module reported as a MissingModuleError. */
export async function loadOptional<T>(
  name: string,
  feature: string,
  load: () => Promise<T>,
): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && MISSING.has(code) && String(error).includes(name)) {
      throw new MissingModuleError(name, feature);
    }
    throw error;
  }
}
