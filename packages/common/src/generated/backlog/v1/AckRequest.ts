// Original file: proto/backlog/v1/backlog.proto


export interface AckRequest {
  'workerId'?: (string);
  'messageId'?: (string);
}

export interface AckRequest__Output {
  'workerId': (string);
  'messageId': (string);
}
