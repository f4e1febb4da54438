//! The glue's exports, run inside the threaded module by wasm-bindgen-test-runner on Node.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::wasm_bindgen_test;
use weft_wasm::{
    alloc_line_words, alloc_words, core_version, count_primes, diag_atomic_increments,
    diag_plain_increments, free_line_words, free_words, grace_ms, message_alloc, message_try_alloc,
    message_try_free, release_shared, reserve_shared, set_shared_budget, MutexWord,
    SHARED_MEMORY_EXHAUSTED,
};

#[wasm_bindgen_test]
fn version_is_the_crate_version() {
    assert_eq!(core_version(), env!("CARGO_PKG_VERSION"));
}

#[wasm_bindgen_test]
fn words_are_zeroed_aligned_and_reusable() {
    let a = alloc_words(4).unwrap();
    assert_eq!(a % 4, 0);
    // SAFETY: `a` points at 4 words just allocated for this test.
    let slice = unsafe { std::slice::from_raw_parts(a as usize as *const u32, 4) };
    assert_eq!(slice, &[0, 0, 0, 0]);
    assert_eq!(diag_atomic_increments(a, 1000).unwrap(), 1000);
    assert_eq!(diag_plain_increments(a, 24).unwrap(), 1024);
    free_words(a, 4).unwrap();
}

#[wasm_bindgen_test]
fn line_words_share_no_line_with_other_allocations() {
    let before = alloc_words(1).unwrap();
    let lines = alloc_line_words(3).unwrap();
    let after = alloc_words(1).unwrap();
    assert_eq!(lines % 128, 0, "aligned to a line pair");
    for other in [before, after] {
        assert!(
            other < lines || other >= lines + 128,
            "{other} lies within the 128 bytes from {lines}"
        );
    }
    // SAFETY: `lines` points at 3 words just allocated for this test.
    let slice = unsafe { std::slice::from_raw_parts(lines as usize as *const u32, 3) };
    assert_eq!(slice, &[0, 0, 0]);
    free_line_words(lines, 3).unwrap();
    free_words(before, 1).unwrap();
    free_words(after, 1).unwrap();
    assert!(alloc_line_words(0).is_err());
    assert!(alloc_line_words(u32::MAX).is_err());
}

#[wasm_bindgen_test]
fn bad_counts_and_addresses_are_errors() {
    assert!(alloc_words(0).is_err());
    assert!(free_words(0, 1).is_err());
    assert!(free_words(6, 1).is_err());
    assert!(diag_atomic_increments(2, 1).is_err());
}

#[wasm_bindgen_test]
fn message_blocks_through_the_plain_number_calls() {
    let m = message_try_alloc(10);
    assert!(m >= 8 && m.is_multiple_of(4), "a message handle: {m}");
    // SAFETY: `m` points at a message block just allocated, whose word 0 is its length.
    assert_eq!(unsafe { *(m as usize as *const u32) }, 10);
    assert!(message_try_free(m));
    assert_eq!(message_try_alloc(u32::MAX), 0, "too large for a block");
    assert!(
        message_alloc(u32::MAX).is_err(),
        "and the throwing call says why"
    );
}

/// The `code` of a `SyncFailure` a glue call threw.
fn failure_code(thrown: &wasm_bindgen::JsValue) -> Option<String> {
    js_sys::Reflect::get(thrown, &"code".into())
        .ok()
        .and_then(|code| code.as_string())
}

#[wasm_bindgen_test]
fn an_allocation_the_memory_cannot_hold_is_a_typed_failure() {
    // 1.5 GiB: a valid layout (below 2 GiB) past the module's maximum memory (1 GiB, from
    // scripts/toolchain.env), so the allocator fails without touching a page.
    let words = alloc_words(3 << 27).expect_err("1.5 GiB of words");
    assert_eq!(
        failure_code(&words).as_deref(),
        Some(SHARED_MEMORY_EXHAUSTED)
    );
    let lines = alloc_line_words(3 << 27).expect_err("1.5 GiB of line words");
    assert_eq!(
        failure_code(&lines).as_deref(),
        Some(SHARED_MEMORY_EXHAUSTED)
    );
    assert_eq!(message_try_alloc(3 << 29), 0);
    let message = message_alloc(3 << 29).expect_err("a 1.5 GiB message");
    assert_eq!(
        failure_code(&message).as_deref(),
        Some(SHARED_MEMORY_EXHAUSTED)
    );
    // A request that is wrong in itself stays a plain error.
    assert_eq!(failure_code(&alloc_words(0).unwrap_err()), None);
    // And the memory still serves what fits.
    let a = alloc_words(4).unwrap();
    free_words(a, 4).unwrap();
}

#[wasm_bindgen_test]
fn allocations_past_the_shared_budget_are_typed_failures_that_charge_nothing() {
    // A budget of one byte: nothing fits (the tests run one at a time, and a budget of 0 means none).
    set_shared_budget(1);
    let words = alloc_words(1).expect_err("past the budget");
    let reserved = reserve_shared(4096).expect_err("past the budget");
    let message = message_try_alloc(8);
    set_shared_budget(0);
    assert_eq!(
        failure_code(&words).as_deref(),
        Some(SHARED_MEMORY_EXHAUSTED)
    );
    assert_eq!(
        failure_code(&reserved).as_deref(),
        Some(SHARED_MEMORY_EXHAUSTED)
    );
    assert_eq!(message, 0);
    // Without a budget, the same requests are served, and given back.
    let a = alloc_words(1).unwrap();
    free_words(a, 1).unwrap();
    reserve_shared(4096).unwrap();
    release_shared(4096);
}

#[wasm_bindgen_test]
fn primes() {
    assert_eq!(count_primes(0, 10_000), 1229);
}

#[wasm_bindgen_test]
fn constants_match_the_state_machines() {
    assert_eq!(MutexWord::Unlocked as u32, weft_sync::RawMutex::UNLOCKED);
    assert_eq!(MutexWord::Locked as u32, weft_sync::RawMutex::LOCKED);
    assert_eq!(grace_ms(), weft_sync::GRACE_MS);
    let m = mutex_create().unwrap();
    assert!(mutex_spin_lock(m));
    // SAFETY: `m` is a live mutex block; its lock word is read atomically.
    let word = unsafe { &*(m as usize as *const std::sync::atomic::AtomicU32) };
    assert_eq!(
        word.load(std::sync::atomic::Ordering::Relaxed),
        MutexWord::Locked as u32,
        "an uncontended lock leaves the word JS's fast path compares with"
    );
    assert!(!mutex_unlock(m).unwrap());
    assert!(mutex_release(m).unwrap());
}

use wasm_bindgen::JsValue;
use weft_wasm::{
    analyze_call_site, generate_module, mutex_create, mutex_lock_step, mutex_release, mutex_retain,
    mutex_spin_lock, mutex_unlock, new_expression_at, semaphore_begin_acquire, semaphore_create,
    semaphore_release_block, semaphore_release_permits, semaphore_try_acquire, step_attempt,
    StepOutcome,
};

fn get(value: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(value, &key.into()).unwrap()
}

#[wasm_bindgen_test]
fn mutex_block_steps_and_refcount() {
    let m = mutex_create().unwrap();
    // The uncontended compare-exchanges run in JS; the glue's first step is the spin.
    assert!(mutex_spin_lock(m), "a free mutex is taken at once");
    assert!(!mutex_spin_lock(m), "held, and nobody frees it");
    assert_eq!(
        mutex_lock_step(m, 0, 0.0),
        StepOutcome::Wait,
        "held: wait unbounded"
    );
    let attempt = step_attempt();
    assert!(mutex_unlock(m).unwrap(), "a parked waiter must be woken");
    assert_eq!(
        mutex_lock_step(m, attempt, 0.1),
        StepOutcome::Acquired,
        "the waiter takes it"
    );
    // A waiter that has waited 0.5 ms or more asks for the mutex when it parks again: the
    // releaser, trying again as a newcomer, defers to it.
    assert_eq!(mutex_lock_step(m, 0, 0.0), StepOutcome::Wait);
    let waiter = step_attempt();
    assert_eq!(mutex_lock_step(m, waiter, 0.6), StepOutcome::Wait);
    let waiter = step_attempt();
    assert!(mutex_unlock(m).unwrap());
    assert!(!mutex_spin_lock(m), "owed to the waiter");
    assert_eq!(mutex_lock_step(m, 0, 0.0), StepOutcome::WaitBounded);
    assert_eq!(mutex_lock_step(m, waiter, 0.7), StepOutcome::Acquired);
    assert!(mutex_unlock(m).unwrap(), "the deferring newcomer is parked");
    assert!(
        mutex_unlock(m).is_err(),
        "unlocking a free mutex is an error"
    );
    mutex_retain(m).unwrap();
    assert!(!mutex_release(m).unwrap(), "one reference left");
    assert!(
        mutex_release(m).unwrap(),
        "the last release frees the block"
    );
}

#[wasm_bindgen_test]
fn semaphore_block_capacity_errors() {
    let s = semaphore_create(2, 2).unwrap();
    assert!(semaphore_try_acquire(s, 2).unwrap());
    assert!(!semaphore_try_acquire(s, 1).unwrap());
    let error = semaphore_begin_acquire(s, 3).unwrap_err();
    assert_eq!(
        get(&error, "code"),
        JsValue::from("WEFT_SEMAPHORE_EXCEEDS_CAPACITY")
    );
    assert!(!semaphore_release_permits(s, 2).unwrap());
    assert!(
        semaphore_release_permits(s, 1).is_err(),
        "more than were taken"
    );
    assert!(semaphore_create(0, 0).is_err());
    assert!(semaphore_release_block(s).unwrap());
}

#[wasm_bindgen_test]
fn analyzer_round_trip_and_errors_inside_wasm() {
    let url = "file:///app/main.js";
    let source = "import { spawn } from 'weft';\nconst k = 2;\nexport function f(x) { return eval(spawn(() => x * k)); }\n";
    let text = JsValue::from_str(source);
    let closure = analyze_call_site(url, &text, 3, 37, None).unwrap();
    let id = get(&closure, "id").as_string().unwrap();
    let locals = js_sys::Array::from(&get(&closure, "locals"));
    assert_eq!(get(&locals.get(0), "name"), JsValue::from("x"));
    let module = generate_module(url, &id, vec!["k".into()], JsValue::UNDEFINED).unwrap();
    assert!(get(&module, "code")
        .as_string()
        .unwrap()
        .contains("__weft_top"));
    let position = js_sys::Array::from(
        &new_expression_at(
            "file:///app/g.js",
            &JsValue::from_str("const g = new Map();\n"),
            1,
            15,
        )
        .unwrap(),
    );
    assert_eq!(position.get(1), JsValue::from(11));

    // Too deep: a typed error, and the instance keeps working.
    let deep = format!("spawn(() => {}0{});\n", "[".repeat(5000), "]".repeat(5000));
    let error = analyze_call_site("file:///app/deep.js", &JsValue::from_str(&deep), 1, 1, None)
        .unwrap_err();
    assert_eq!(get(&error, "kind"), JsValue::from("TooDeep"));
    assert_eq!(get(&error, "code"), JsValue::from("WEFT_TOO_DEEP"));
    assert!(analyze_call_site(url, &text, 3, 37, None).is_ok());
    // Equal text in another string instance: the cached parse, the closure ids unchanged.
    let again = analyze_call_site(url, &JsValue::from_str(source), 3, 37, None).unwrap();
    assert_eq!(get(&again, "id").as_string().unwrap(), id);
    assert!(generate_module(url, &id, vec![], JsValue::UNDEFINED).is_ok());
    let error = analyze_call_site(
        "file:///app/bad.js",
        &JsValue::from_str("spawn(() => {\n"),
        1,
        1,
        None,
    )
    .unwrap_err();
    assert_eq!(get(&error, "kind"), JsValue::from("Parse"));
    assert_eq!(get(&error, "code"), JsValue::from("WEFT_SYNTAX_ERROR"));
    let message = get(&error, "message").as_string().unwrap();
    assert!(message.starts_with("Cannot parse"), "{message}");
}

/// The runaway respawn of issue 15: `spawn(f)` inside an inline callback is refused at once.
#[wasm_bindgen_test]
fn a_function_that_is_not_inline_is_refused_inside_a_callback() {
    let source = "import { spawn } from 'weft';\nconst f = () => 1;\nawait Promise.resolve().then(() => eval(spawn(f)));\n";
    let column = source.lines().nth(2).unwrap().find("spawn").unwrap() as u32 + 1;
    let text = JsValue::from_str(source);
    let error = analyze_call_site(
        "file:///app/run.mjs",
        &text,
        3,
        column,
        Some("() => 1".into()),
    )
    .unwrap_err();
    assert_eq!(
        get(&error, "code"),
        JsValue::from("WEFT_CLOSURE_NOT_INLINE")
    );
}

/// A panic inside the analyzer (made on purpose by a marker that test builds know) comes back as
/// an error for that call site; the module is not trapped, and later calls parse afresh.
#[wasm_bindgen_test]
fn a_panic_in_the_analyzer_is_an_error_and_the_next_analysis_works() {
    use weft_analyzer::{INJECT_PANIC_IN_CLOSURE_AT, INJECT_PANIC_IN_PARSE};

    let url = "file:///app/ok.js";
    let source =
        JsValue::from_str("import { spawn } from 'weft';\nconst k = 2;\nspawn(() => k);\n");
    let closure = analyze_call_site(url, &source, 3, 1, None).unwrap();
    let id = get(&closure, "id").as_string().unwrap();

    let bug = format!("// {INJECT_PANIC_IN_PARSE}\nspawn(() => 1);\n");
    let error =
        analyze_call_site("file:///app/bug.js", &JsValue::from_str(&bug), 2, 1, None).unwrap_err();
    assert_eq!(get(&error, "code"), JsValue::from("WEFT_ANALYZER_BUG"));
    let message = get(&error, "message").as_string().unwrap();
    assert!(message.contains("file:///app/bug.js:2:1"), "{message}");
    assert!(message.contains(INJECT_PANIC_IN_PARSE), "{message}");

    // The parses were dropped: the closure found before is found again in a new parse.
    let module = generate_module(url, &id, vec!["k".into()], JsValue::UNDEFINED).unwrap();
    assert!(get(&module, "code").as_string().unwrap().contains("k"));
    assert!(analyze_call_site(url, &source, 3, 1, None).is_ok());

    let bug = format!("// {INJECT_PANIC_IN_CLOSURE_AT}\nspawn(() => 1);\n");
    let error =
        analyze_call_site("file:///app/bug2.js", &JsValue::from_str(&bug), 2, 1, None).unwrap_err();
    assert_eq!(get(&error, "code"), JsValue::from("WEFT_ANALYZER_BUG"));
    assert!(analyze_call_site(url, &source, 3, 1, None).is_ok());

    // A real one: swc_ecma_parser 47 panics (`unreachable!`) on a namespaced JSX name with a
    // member, in release builds too.
    let jsx = JsValue::from_str("spawn(() => <a:b.c />);\n");
    let error = analyze_call_site("file:///app/ns.jsx", &jsx, 1, 1, None).unwrap_err();
    assert_eq!(get(&error, "code"), JsValue::from("WEFT_ANALYZER_BUG"));
    let message = get(&error, "message").as_string().unwrap();
    assert!(message.contains("JSXNamespacedName"), "{message}");
    assert!(analyze_call_site(url, &source, 3, 1, None).is_ok());
}

/// Issue 15's 42 MB file: refused for that call site before it is copied into the module's
/// memory or parsed; the analyzer keeps working.
#[wasm_bindgen_test]
fn a_file_too_large_is_refused_before_it_is_copied() {
    let big = JsValue::from_str(&format!("spawn(() => 1);\n{}", " ".repeat(42 << 20)));
    let pages = || core::arch::wasm32::memory_size::<0>();
    let before = pages();
    let error = analyze_call_site("file:///app/bundle.js", &big, 1, 1, None).unwrap_err();
    assert_eq!(get(&error, "code"), JsValue::from("WEFT_SOURCE_TOO_LARGE"));
    let message = get(&error, "message").as_string().unwrap();
    assert!(message.contains("file:///app/bundle.js"), "{message}");
    assert!(
        pages() - before < 16,
        "grew by {} pages of 64 KiB",
        pages() - before
    );
    let small = JsValue::from_str("spawn(() => 1);\n");
    assert!(analyze_call_site("file:///app/small.js", &small, 1, 1, None).is_ok());
}
