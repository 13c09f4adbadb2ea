"""Given names that are a man's or a woman's in English-language fiction: a prior for a character's gender when
the pronouns that refer to it are few or misread ("Georgiana" is a woman though one "he" follows her name).
Names borne by both (Frances/Francis aside: "Jo", "Sidney", "Leslie") are left out."""
from __future__ import annotations

FEMALE_GIVEN_NAMES = frozenset("""
abigail ada adela adelaide adele agatha agnes alice alicia amelia amy anastasia angela angelina ann anna
annabel annabella anne annette annie antoinette arabella augusta barbara beatrice bella bertha beth betsy
betty blanche bridget caroline catherine cecilia cecily charlotte christina christine clara clarissa claudia
constance cordelia cynthia daisy deborah delia diana dinah dolly dora dorothea dorothy edith eleanor elinor
eliza elizabeth ella ellen elsie emily emma esther ethel eugenia euphemia eva eveline evelina fanny flora
florence frances georgiana georgina gertrude grace hannah harriet harriot helen helena henrietta hester
honora hortense ida irene isabel isabella jane janet jemima jennie jenny jessie joan josephine judith julia
juliet julietta kate katharine katherine kathleen kitty laura lavinia letitia lilian lillian lily lizzie
lizzy lottie louisa louise lucy lydia mabel madeline maggie margaret margery maria marian marianne marie
marion martha mary matilda maud maude meg millicent milly minnie miriam molly nancy nell nellie nora octavia
olive olivia pamela patience pauline peggy penelope phoebe polly priscilla rachel rebecca rhoda rosa rosalind
rosamond rose ruth sally sarah selina sophia sophie susan susanna susannah sybil teresa tess theresa
victoria violet virginia winifred
""".split())

MALE_GIVEN_NAMES = frozenset("""
abraham adam albert alexander alfred algernon allan alan ambrose andrew anthony archibald arthur augustus
barnaby bartholomew basil benjamin bernard bertram charles christopher clarence claude clement cuthbert
cyril daniel david dick donald douglas duncan ebenezer edgar edmund edward edwin ernest eugene felix
ferdinand francis frank frederic frederick gabriel geoffrey george gerald gilbert godfrey gregory guy harold
harry henry herbert horace horatio hubert hugh humphrey isaac jack jacob james jasper jeremiah jim joe john
jonathan joseph joshua julian julius lawrence leonard lewis lionel louis luke mark martin matthew maurice
michael nathaniel ned nicholas noah oliver oswald patrick paul percy peter philip ralph reginald richard
robert roderick roger rupert samuel sebastian simon solomon stephen theodore thomas timothy tobias tom
tristram victor vincent walter wilfred william
""".split())


def name_gender(given: str) -> str | None:
    """"male" or "female" for a given name the lists know, else None."""
    low = given.lower()
    if low in FEMALE_GIVEN_NAMES:
        return "female"
    if low in MALE_GIVEN_NAMES:
        return "male"
    return None
