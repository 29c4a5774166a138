"""Reception: find and register patients, print their cards, documents and consents, book, check in, the queue."""
