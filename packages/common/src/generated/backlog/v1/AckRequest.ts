// Original file: proto/backlog/v1/backlog.proto


export interface AckRequest {
  'workerId'?: (string);
  'ackId'?: (string);
}

export interface AckRequest__Output {
  'workerId': (string);
  'ackId': (string);
}
