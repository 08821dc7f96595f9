/**
 * A `db` setting that cannot name a database (an unsupported URL, a folder, a file of another
 * kind, a path on /proc). Its message is one line that names the setting's value and the problem.
 */
export class DatabaseSettingError extends Error {
  override name = 'DatabaseSettingError';
}
