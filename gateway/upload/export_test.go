package upload

// ValidID lets the external tests check the ids the gateway hands out.
var ValidID = validUploadID

// NewID makes an upload id the way the gateway does, for uploads a test
// writes to Redis itself.
var NewID = newUploadID

// CompletedEvent is the data of the upload.completed event.
type CompletedEvent = completedEvent
