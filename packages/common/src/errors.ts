/** Narrowing helpers for `unknown` errors, used wherever a catch must report. */
import * as grpc from '@grpc/grpc-js';

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

export function isServiceError(error: unknown): error is grpc.ServiceError {
  return error instanceof Error && typeof (error as Partial<grpc.ServiceError>).code === 'number';
}

/** One line for a log or a terminal: `CODE: details` for a gRPC status, the message otherwise. */
export function describeError(error: unknown): string {
  return isServiceError(error) ? `${grpc.status[error.code]}: ${error.details}` : errorMessage(error);
}
