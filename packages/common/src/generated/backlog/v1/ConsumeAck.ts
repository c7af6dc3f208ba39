// Original file: proto/backlog/v1/backlog.proto


export interface ConsumeAck {
  'messageId'?: (string);
}

export interface ConsumeAck__Output {
  'messageId': (string);
}
