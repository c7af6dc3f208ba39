// Original file: proto/backlog/v1/backlog.proto


export interface SubscribeRequest {
  'workerId'?: (string);
}

export interface SubscribeRequest__Output {
  'workerId': (string);
}
