"""Word lists for speaker attribution: speech verbs, titles, pronouns, words that are never names."""
from __future__ import annotations

# Verbs that introduce or tag speech, in the forms fiction uses them ("said", "says", "asks").
_PAST = """
said asked replied answered whispered muttered murmured shouted yelled cried exclaimed snapped called added
continued began observed remarked returned rejoined retorted responded declared demanded inquired enquired
insisted suggested admitted agreed protested pleaded begged urged explained repeated interrupted interposed
stammered stuttered sobbed laughed chuckled sighed groaned gasped growled grumbled hissed breathed roared
screamed shrieked bellowed thundered sneered scoffed teased warned announced commanded ordered told assured
promised confessed conceded corrected mused wondered ventured offered persisted pursued resumed drawled
faltered lied objected spoke uttered blurted grunted moaned wailed queried questioned echoed chimed
concluded acknowledged reminded cautioned complained joked grinned smiled nodded snarled barked crooned
purred squeaked squealed panted wheezed coughed sang chanted intoned recited prompted hinted stated
affirmed asserted maintained argued reasoned reflected considered hazarded guessed suggested replied
counselled counseled comforted soothed consoled encouraged greeted accused challenged scolded chided
rebuked reproached mocked taunted jeered retorted giggled sniffed sniffled snorted whimpered whined
howled screeched rasped croaked lisped mumbled babbled gabbled prattled advised proposed lamented
thought instructed ejaculated
""".split()
_PRESENT = """
says asks replies answers whispers mutters murmurs shouts yells cries exclaims snaps calls adds continues
begins observes remarks returns retorts responds declares demands inquires insists suggests admits agrees
explains repeats interrupts laughs sighs groans growls tells assures promises goes
""".split()
SPEECH_VERBS = frozenset(_PAST) | frozenset(_PRESENT)

# Verbs that mean speaking and nothing else: "Then Mrs. Griffin spoke." tags the quote after it
# ("She smiled." is a beat).
VERBS_OF_SPEAKING = frozenset("spoke said says asked answered replied began continued resumed added went".split())

# Verbs that are speech only with a following particle ("broke in", "went on", "put in", "cut in", "burst out").
PARTICLE_VERBS = {"broke": "in", "put": "in", "cut": "in", "went": "on", "burst": "out"}

# Words that make a verb-led clause a speech tag when they follow "managed to", "began to", ...
SPEECH_INFINITIVES = frozenset("say ask reply answer whisper mutter murmur shout speak call cry add tell".split())

# Nouns meaning "what was said": "came the reply", "X's voice".
SPEECH_NOUNS = frozenset("voice reply answer response retort whisper cry call words question".split())

MALE_TITLES = frozenset("""
mr mister sir lord master uncle father brother king prince duke count baron herr monsieur signor senor don
captain colonel major general sergeant lieutenant admiral inspector reverend rev professor judge earl
""".split())
FEMALE_TITLES = frozenset("""
mrs ms miss lady madam madame mme mlle mademoiselle aunt mother sister queen princess duchess countess
baroness frau fraulein signora senora mistress dame
""".split())
NEUTRAL_TITLES = frozenset("dr doctor st saint".split())
TITLES = MALE_TITLES | FEMALE_TITLES | NEUTRAL_TITLES

MALE_PRONOUNS = frozenset("he him his himself".split())
FEMALE_PRONOUNS = frozenset("she her hers herself".split())
SUBJECT_PRONOUNS = {"he": "male", "she": "female", "i": "narrator", "they": "group", "we": "group"}
OBJECT_PRONOUNS = {"him": "male", "her": "female", "me": "narrator", "them": "group", "us": "group"}

# Head nouns of noun-phrase speakers ("the old man said") and the gender they carry.
MALE_NOUNS = frozenset("""
man men boy gentleman fellow father husband son brother uncle nephew king prince lord sir master squire
grandfather grandpa papa dad daddy priest monk soldier sailor captain guard waiter butler footman lad youth
landlord host bishop vicar parson colonel major general sergeant corporal private
officer constable policeman clerk porter farmer driver coachman groom boatman fisherman shepherd
clergyman workman postman horseman huntsman watchman seaman woodman tradesman cabman ferryman nobleman
chairman alderman foreman yeoman frenchman englishman irishman scotchman dutchman countryman
rector curate abbot friar duke earl baron emperor bridegroom widower steward valet
""".split())
FEMALE_NOUNS = frozenset("""
woman women girl lady wife mother daughter sister aunt niece queen princess mistress grandmother grandma
mamma mama mum mummy mom nurse maid housekeeper landlady hostess governess widow matron dame lass nun
gentlewoman washerwoman countrywoman frenchwoman englishwoman actress waitress seamstress stewardess
abbess duchess countess baroness empress heiress laundress shepherdess sorceress witch hag crone bride
maiden damsel spinster wench milkmaid chambermaid female
""".split())
NEUTRAL_NOUNS = frozenset("""
stranger visitor guest child voice speaker other one traveller traveler companion friend servant driver
doctor surgeon clerk person figure creature owner keeper guide leader youngster newcomer intruder
physician lawyer attorney magistrate judge sheriff merchant trader dealer pedlar peddler auctioneer
jailer gaoler turnkey sentry sentinel messenger teacher professor preacher
minister pastor missionary cook baker butcher tailor blacksmith carpenter miner hunter trapper scout
""".split())
PERSON_NOUNS = MALE_NOUNS | FEMALE_NOUNS | NEUTRAL_NOUNS

DETERMINERS = frozenset("the a an his her their my our your this that its".split())

# Capitalised words that start sentences or fill titles but never name a character on their own.
NOT_NAMES = frozenset("""
a an the and but or nor for so yet if then than when where while why what who whom whose which how
i i'm i'd i'll i've me my mine myself we us our ours you your yours he him his she her hers it its they them
their this that these those there here now not no yes oh ah o well why nay aye alas hush hello hi hey
all any some each every both either neither one none many much more most few other another such same
nobody somebody someone anyone anybody everyone everybody something nothing anything everything
after before as at by from in into of off on onto out over through to toward towards under until up upon
with without within about above across against along among around behind below beneath beside between
beyond during except inside near outside past since though although because unless whether
is was were be been being am are has have had do does did can could will would shall should may might must
let lets don't didn't can't won't isn't wasn't
chapter book part volume page scene prologue epilogue note author's a.n an
god heaven lord christ jesus sir madam mr mrs miss ms dr
monday tuesday wednesday thursday friday saturday sunday
january february march april june july august september october november december
feb apr jun jul aug sep sept oct nov dec
ma'am ma’am marm mam
english french german england france london america american europe
perhaps still just only even also indeed never ever always again too very quite
hullo hallo halloa hurrah hurray ahoy bah pooh pshaw ha ho eh aha
nothing something everything anything someone somebody anyone anybody everyone everybody
good great dear poor old young little
h'm hm hmm
""".split())
NOT_NAMES = NOT_NAMES | {word.replace("'", "’") for word in NOT_NAMES}  # "I’ll" as often as "I'll"
