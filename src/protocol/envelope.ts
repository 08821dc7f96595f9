/** The answer every callback gets (docs/protocol.md §1): HTTP 200 with this JSON when accepted. */
export interface CallbackAnswer {
  ActionStatus: 'OK' | 'FAIL';
  ErrorInfo: string;
  ErrorCode: number;
}

/** The documented success answer. */
export const OK_ANSWER: Readonly<CallbackAnswer> = Object.freeze({
  ActionStatus: 'OK',
  ErrorInfo: '',
  ErrorCode: 0,
});

/** A refusal in the documented envelope; `code` must be non-zero. */
export function failAnswer(code: number, info: string): CallbackAnswer {
  return { ActionStatus: 'FAIL', ErrorInfo: info, ErrorCode: code };
}

/** The JSON text of the success answer, prepared once for the hot path. */
export const OK_ANSWER_JSON = JSON.stringify(OK_ANSWER);
