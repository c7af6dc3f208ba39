// Original file: proto/backlog/v1/backlog.proto


export interface Hello {
  'workerId'?: (string);
  'prefetch'?: (number);
}

export interface Hello__Output {
  'workerId': (string);
  'prefetch': (number);
}
