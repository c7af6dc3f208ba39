// Original file: proto/backlog/v1/backlog.proto


export interface ExtendLeaseResponse {
  'extended'?: (number);
  'leaseMs'?: (number);
  'lapsedAckIds'?: (string)[];
}

export interface ExtendLeaseResponse__Output {
  'extended': (number);
  'leaseMs': (number);
  'lapsedAckIds': (string)[];
}
