// Original file: proto/backlog/v1/backlog.proto


export interface ExtendLeaseRequest {
  'workerId'?: (string);
  'ackIds'?: (string)[];
}

export interface ExtendLeaseRequest__Output {
  'workerId': (string);
  'ackIds': (string)[];
}
