/**
 * Errors a user can meet. Each has a stable `code` (listed in the README's error table), a
 * message that says what to do, an optional `cause`, and whether retrying can help.
 */
export class EspLiveError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly options: { cause?: unknown; retryable?: boolean } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'EspLiveError';
  }

  get retryable(): boolean {
    return this.options.retryable ?? false;
  }
}
