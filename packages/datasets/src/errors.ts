/**
 * Error thrown by every loader when its input is missing or malformed. The message always starts with the
 * file (or directory) at fault, so a user pointing a loader at their own data learns where to look.
 */
export class DatasetError extends Error {
  /** The file or directory that failed validation. */
  readonly file: string;

  constructor(file: string, defect: string) {
    super(`${file}: ${defect}`);
    this.name = 'DatasetError';
    this.file = file;
  }
}
