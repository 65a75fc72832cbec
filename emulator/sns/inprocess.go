package sns

// Publish publishes message to the standard topic topicARN from inside
// slsx, as another AWS service does (Lambda's on-failure destinations): the
// same checks and fan-out as the Publish action, without the HTTP hop. It
// returns the message id; errors are *awsapi.Error as the action would
// answer (NotFound for a missing topic).
func (s *Service) Publish(topicARN, message, traceID string) (string, error) {
	if !validTopicARN(topicARN) {
		return "", errInvalidParameter("Invalid parameter: TopicArn")
	}
	s.mu.Lock()
	t := s.topics[topicARN]
	s.mu.Unlock()
	if t == nil {
		return "", errTopicNotFound()
	}
	m, err := s.prepare(t, publishInput{Message: message, HasMessage: true}, traceID)
	if err != nil {
		return "", err
	}
	id, _ := s.accept(t, m)
	return id, nil
}
