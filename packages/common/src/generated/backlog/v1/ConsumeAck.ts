// Original file: proto/backlog/v1/backlog.proto


export interface ConsumeAck {
  'ackIds'?: (string)[];
}

export interface ConsumeAck__Output {
  'ackIds': (string)[];
}
