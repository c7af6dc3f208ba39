// Original file: proto/backlog/v1/backlog.proto


export interface PullRequest {
  'workerId'?: (string);
  'timeoutMs'?: (number);
}

export interface PullRequest__Output {
  'workerId': (string);
  'timeoutMs': (number);
}
