/**
 * Service errors as the AWS JSON 1.1 protocol carries them: an HTTP status, the `__type` error code
 * (also sent as the `x-amzn-errortype` header) and a message. The SDK turns the code into its
 * modeled exception class (`ResourceNotFoundException`, `ParameterNotFound`, ...), so the codes
 * used here must be the service's own.
 */
export class AwsServiceError extends Error {
  constructor(
    readonly errorType: string,
    message: string,
    readonly statusCode: number = 400,
  ) {
    super(message);
    this.name = errorType;
  }
}

/** Status codes for error types that are server faults rather than client errors. */
const SERVER_FAULTS: Readonly<Record<string, number>> = {
  InternalServiceError: 500,
  InternalFailure: 500,
  InternalServerError: 500,
  ServiceUnavailable: 503,
  ServiceUnavailableException: 503,
};

export function statusForErrorType(errorType: string): number {
  return SERVER_FAULTS[errorType] ?? 400;
}

export const notFound = (message: string): AwsServiceError =>
  new AwsServiceError('ResourceNotFoundException', message);
export const invalidRequest = (message: string): AwsServiceError =>
  new AwsServiceError('InvalidRequestException', message);
export const invalidParameter = (message: string): AwsServiceError =>
  new AwsServiceError('InvalidParameterException', message);
export const resourceExists = (message: string): AwsServiceError =>
  new AwsServiceError('ResourceExistsException', message);
export const validation = (message: string): AwsServiceError =>
  new AwsServiceError('ValidationException', message);
/** AWS answers a request over a rate quota with HTTP 400 and this error (the SDK retries it). */
export const throttling = (): AwsServiceError => new AwsServiceError('ThrottlingException', 'Rate exceeded');
