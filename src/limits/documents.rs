//! Parsed documents, kept by their text in a bounded cache: clients send
//! the same few operations over and over, and a parse costs more than a
//! copy of its result.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use async_graphql::Request;
use async_graphql::parser::types::ExecutableDocument;
use lru::LruCache;

/// Documents kept per instance.
const ENTRIES: usize = 1024;
/// Longer documents are parsed each time.
const MAX_QUERY_BYTES: usize = 32 * 1024;

pub struct Documents {
    cache: Mutex<LruCache<Arc<str>, Arc<ExecutableDocument>>>,
}

impl Default for Documents {
    fn default() -> Self {
        let entries = NonZeroUsize::new(ENTRIES).unwrap_or(NonZeroUsize::MIN);
        Documents {
            cache: Mutex::new(LruCache::new(entries)),
        }
    }
}

impl Documents {
    /// Gives the request its parsed document, from the cache when its text
    /// was parsed before. A document that does not parse is left for
    /// execution to report.
    pub fn parse(&self, request: &mut Request) {
        let text = request.query.as_str();
        if text.len() > MAX_QUERY_BYTES {
            return;
        }
        let kept = self.lock().get(text).cloned();
        let document = match kept {
            Some(document) => document,
            None => {
                let Ok(parsed) = async_graphql::parser::parse_query(text) else {
                    return;
                };
                let parsed = Arc::new(parsed);
                self.lock().put(Arc::from(text), parsed.clone());
                parsed
            }
        };
        request.set_parsed_query(ExecutableDocument::clone(&document));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<Arc<str>, Arc<ExecutableDocument>>> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_parsed_once_serves_the_next_request_of_the_same_text() {
        let documents = Documents::default();
        let mut first = Request::new("{ a: __typename }");
        documents.parse(&mut first);
        assert_eq!(documents.lock().len(), 1);
        let mut second = Request::new("{ a: __typename }");
        documents.parse(&mut second);
        assert_eq!(documents.lock().len(), 1);
        assert_eq!(
            format!("{:?}", second.parsed_query().expect("parsed")),
            format!("{:?}", first.parsed_query().expect("parsed"))
        );
        let mut broken = Request::new("{ a: ");
        documents.parse(&mut broken);
        assert_eq!(documents.lock().len(), 1);
        assert!(broken.parsed_query().is_err());
    }
}
