// The one error type of the apps: what went wrong, as an HTTP status and a stable code, with a
// message meant for the caller. Anything else that escapes a route is a 500.
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "AppError";
  }

  static badRequest(message: string, details?: unknown): AppError {
    return new AppError(400, "bad_request", message, details);
  }
  /** No credentials, or not the right ones: who sent the request is not known. */
  static unauthorized(message: string): AppError {
    return new AppError(401, "unauthorized", message);
  }
  static notFound(message: string): AppError {
    return new AppError(404, "not_found", message);
  }
  static conflict(message: string): AppError {
    return new AppError(409, "conflict", message);
  }
  static unavailable(message: string, cause?: unknown): AppError {
    return new AppError(503, "unavailable", message, undefined, { cause });
  }
}
