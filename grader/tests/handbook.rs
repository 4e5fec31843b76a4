//! `sdkata handbook` against the fixture course: where the book goes, what
//! it holds, and what happens when a note is missing.

mod common;

use common::{Fixture, code, text};

#[test]
fn the_book_holds_every_note_in_course_order() {
    let f = Fixture::new();
    let out = f.sdkata_in("exercises/01_basics", &["handbook"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let path = f.path(".sdkata/handbook.html");
    assert!(
        text(&out).contains(&path.display().to_string()),
        "it says where the book is: {}",
        text(&out)
    );
    let book = std::fs::read_to_string(&path).unwrap();
    let add = book
        .find("id=\"lesson-add\"")
        .expect("a chapter per lesson");
    let greet = book
        .find("id=\"lesson-greet\"")
        .expect("a chapter per lesson");
    assert!(add < greet, "chapters in course order");
    assert!(
        book.contains("<a href=\"#lesson-add\">Adding numbers</a>"),
        "the contents link to each chapter"
    );
    assert!(
        book.contains("<h3 id=\"add-the-problem\">The problem</h3>"),
        "a note's headings sit one level under its chapter's"
    );
    let questions = &book[book
        .find("id=\"questions\"")
        .expect("the questions section")..];
    assert!(
        questions.contains("Estimation") && questions.contains("<em>What is 2 + 3?</em>"),
        "add's questions appear under its topic"
    );
    for outside in ["<script", "src=", "http:", "https:"] {
        assert!(
            !book.contains(outside),
            "the book loads nothing: {outside:?}"
        );
    }
}

#[test]
fn out_names_the_file_and_a_missing_note_is_an_error() {
    let f = Fixture::new();
    let out = f.sdkata(&["handbook", "--out", "book/notes.html"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(f.path("book/notes.html").is_file());

    std::fs::remove_file(f.path("exercises/01_basics/02_greet/README.md")).unwrap();
    let out = f.sdkata(&["handbook", "--out", "book/notes.html"]);
    assert_ne!(code(&out), 0);
    assert!(
        text(&out).contains("02_greet/README.md"),
        "names the missing note: {}",
        text(&out)
    );
    let kept = std::fs::read_to_string(f.path("book/notes.html")).unwrap();
    assert!(kept.contains("lesson-greet"), "the old book is kept whole");
}
