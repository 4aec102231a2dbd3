package thingsgraph

// SetStoreTestHook sets the hook run inside every store write transaction
// (its error aborts the write). Tests only.
func SetStoreTestHook(f func() error) { storeTestHook = f }
